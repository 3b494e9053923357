// A loaded model behind a stable handle on the Node-RED thread: tensors checked and copied into
// pooled buffers for the worker, and the model file watched and reloaded beside the running one.
import { watchFile, unwatchFile, type Stats } from 'node:fs';
import * as path from 'node:path';
import { EdgeAiError } from '../errors';
import { TYPE_BYTES, canvasSize, checkTensorPayload, convertPixels, elementCount, type TensorPayload } from '../image';
import { describeTensors, type ModelConfig, type ModelInfo } from './describe';
import type { DecodeRequest } from './protocol';
import { modelChecker } from './checker';
import { SessionWorker, type WorkerResult } from './session-worker';

export type { ModelConfig, ModelInfo } from './describe';

export interface RunResult extends WorkerResult {
  /** SHA-256 of the model file that produced it (changes after a hot reload). */
  sha256: string;
}

export type ModelEvent =
  | { type: 'reloaded'; info: ModelInfo }
  | { type: 'reloadFailed'; error: Error };

/** How often the model file is checked for changes, and how long it must stay unchanged. */
const WATCH_INTERVAL_MS = 1000;
const SETTLE_MS = 500;
/** Input buffers kept for reuse; more would only pin memory. */
const POOLED_BUFFERS = 4;

/**
 * A loaded model behind a stable handle. The Node-RED thread copies (or converts) the tensor
 * into a pooled buffer and transfers it (the msg's Buffer may be shared with other wires, so it
 * is never detached). On reload a second worker loads the new file beside the running one, and
 * takes over only when its inputs and outputs match; runs already sent finish on the old one.
 */
export class ModelHost {
  readonly #config: ModelConfig;
  readonly #freeBuffers: ArrayBuffer[] = [];
  readonly #listeners = new Set<(event: ModelEvent) => void>();
  readonly #runListeners = new Set<(ok: boolean, sha256: string) => void>();
  #current!: SessionWorker;
  #reloading: Promise<ModelInfo> | undefined;
  #settleTimer: NodeJS.Timeout | undefined;
  /** This host's own listener: unwatchFile without it would stop every other host watching the same file. */
  #watcher: ((now: Stats, before: Stats) => void) | undefined;
  #closed = false;

  private constructor(config: ModelConfig) {
    this.#config = config;
  }

  static async create(config: ModelConfig): Promise<ModelHost> {
    const host = new ModelHost(config);
    host.#current = await startChecked(config, (b) => host.#recycle(b));
    if (config.watch) host.#watch();
    return host;
  }

  get info(): ModelInfo {
    return this.#current.info;
  }

  /** Hear about reloads; returns the function that stops listening. */
  onEvent(listener: (event: ModelEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Hear how each run ends (an update's rollback watch counts them); a run cut off because the
   * model was released is not the model's failure and is not reported. Returns the function
   * that stops listening.
   */
  onRun(listener: (ok: boolean, sha256: string) => void): () => void {
    this.#runListeners.add(listener);
    return () => this.#runListeners.delete(listener);
  }

  /** Check a tensor from msg.payload against the model input before it is queued. */
  validate(tensor: unknown): TensorPayload {
    const t = checkTensorPayload(tensor);
    const needed = elementCount(t.dims) * TYPE_BYTES[t.type];
    if (t.data.length !== needed) throw new EdgeAiError('tensorSize', { dims: t.dims.join(','), type: t.type, expected: needed, received: t.data.length });
    if (t.convert) checkPlacement(t);
    const effectiveDims = t.convert?.dims ?? t.dims;
    const effectiveType = t.convert?.type ?? t.type;
    const { input } = this.info;
    const fits = effectiveType === input.type && effectiveDims.length === input.dims.length && effectiveDims.every((d, i) => input.dims[i] < 0 || d === input.dims[i]);
    if (!fits) {
      throw new EdgeAiError('tensorMismatch', {
        expectedType: input.type, expectedDims: input.dims.join(','), input: input.name, model: path.basename(this.info.path),
        receivedType: effectiveType, receivedDims: effectiveDims.join(','),
      });
    }
    return t;
  }

  /**
   * Pixels still to be converted are converted here, straight into the pooled buffer (in place
   * of the copy it needs anyway): in the worker the conversion would sit between two runs,
   * while here it overlaps the run of the frame before.
   */
  async run(tensor: TensorPayload, decode: DecodeRequest): Promise<RunResult> {
    const { convert } = tensor;
    const type = convert?.type ?? tensor.type;
    const dims = convert?.dims ?? tensor.dims;
    const byteLength = elementCount(dims) * TYPE_BYTES[type];
    const buffer = this.#takeBuffer(byteLength);
    if (convert) {
      const target = type === 'float32' ? new Float32Array(buffer, 0, byteLength / 4) : new Uint8Array(buffer, 0, byteLength);
      convertPixels(tensor.data, convert, target);
    } else {
      new Uint8Array(buffer, 0, byteLength).set(tensor.data);
    }
    const session = this.#current;
    const { sha256 } = session.info;
    let result: WorkerResult;
    try {
      result = await session.run({ buffer, byteLength, dims, type }, decode);
    } catch (err) {
      if (!(err instanceof EdgeAiError && err.code === 'modelClosed')) for (const listener of this.#runListeners) listener(false, sha256);
      throw err;
    }
    for (const listener of this.#runListeners) listener(true, sha256);
    return { ...result, sha256 };
  }

  /**
   * Load the model file again beside the running one and switch to it when it fits. On any
   * failure the running model stays in use and the promise rejects with the reason.
   */
  reload(): Promise<ModelInfo> {
    this.#reloading ??= this.#reloadOnce().finally(() => { this.#reloading = undefined; });
    return this.#reloading;
  }

  /** Release the session and stop the worker; pending runs fail with modelClosed. */
  async release(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unwatch();
    this.#listeners.clear();
    this.#runListeners.clear();
    await this.#reloading?.catch(() => undefined);
    await this.#current.release();
  }

  async #reloadOnce(): Promise<ModelInfo> {
    try {
      const next = await startChecked(this.#config, (b) => this.#recycle(b));
      const mismatch = this.#closed ? undefined : difference(this.#current.info, next.info);
      if (this.#closed || mismatch) {
        await next.release();
        if (mismatch) throw new EdgeAiError('reloadMismatch', { path: this.#config.path, ...mismatch });
        return this.info;
      }
      const previous = this.#current;
      this.#current = next;
      previous.retire().catch(() => undefined);
      this.#emit({ type: 'reloaded', info: next.info });
      return next.info;
    } catch (err) {
      this.#emit({ type: 'reloadFailed', error: err as Error });
      throw err;
    }
  }

  #emit(event: ModelEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  #recycle(buffer: ArrayBuffer): void {
    if (this.#freeBuffers.length < POOLED_BUFFERS) this.#freeBuffers.push(buffer);
  }

  #takeBuffer(byteLength: number): ArrayBuffer {
    const index = this.#freeBuffers.findIndex((b) => b.byteLength >= byteLength);
    return index >= 0 ? this.#freeBuffers.splice(index, 1)[0] : new ArrayBuffer(byteLength);
  }

  /** Polling survives editors and copy tools that replace the file instead of writing it. */
  #watch(): void {
    this.#watcher = (now: Stats, before: Stats) => {
      if (now.mtimeMs === before.mtimeMs && now.size === before.size) return;
      if (now.size === 0 && now.mtimeMs === 0) return; // removed: keep serving the loaded model
      clearTimeout(this.#settleTimer);
      // Wait until the file stops changing: a copy in progress is not a model yet.
      this.#settleTimer = setTimeout(() => { this.reload().catch(() => undefined); }, SETTLE_MS);
    };
    watchFile(this.#config.path, { interval: WATCH_INTERVAL_MS, persistent: false }, this.#watcher);
  }

  #unwatch(): void {
    clearTimeout(this.#settleTimer);
    if (this.#watcher) unwatchFile(this.#config.path, this.#watcher);
    this.#watcher = undefined;
  }
}

/** What about a reloaded model would break the flow built for the running one. */
function difference(before: ModelInfo, after: ModelInfo): { what: string; before: string; after: string } | undefined {
  for (const what of ['inputs', 'outputs'] as const) {
    const [a, b] = [describeTensors(before[what]), describeTensors(after[what])];
    if (a !== b) return { what, before: a, after: b };
  }
  const [a, b] = [before.labels?.length ?? 0, after.labels?.length ?? 0];
  if (a !== b) return { what: 'labels', before: `${a} labels`, after: `${b} labels` };
  return undefined;
}

/** Pixels waiting for conversion must be the size the conversion places, inside the tensor. */
function checkPlacement(t: TensorPayload): void {
  const convert = t.convert!;
  const canvas = canvasSize(convert);
  const place = convert.placement ?? { x: 0, y: 0, ...canvas };
  const inside = place.x >= 0 && place.y >= 0 && place.x + place.width <= canvas.width && place.y + place.height <= canvas.height;
  if (!inside || t.dims.join() !== [1, place.height, place.width, 3].join()) {
    throw new EdgeAiError('convertMismatch', { dims: t.dims.join(','), expected: `${place.width}x${place.height}`, tensorDims: convert.dims.join(',') });
  }
}

/** A worker for the model, once the model has opened and run in the checker process (when asked). */
async function startChecked(config: ModelConfig, recycle: (buffer: ArrayBuffer) => void): Promise<SessionWorker> {
  if (config.checkFirst) await modelChecker.check(config);
  return SessionWorker.start(config, recycle);
}
