import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { EdgeAiError, describeValue, type ErrorCode } from '../errors';
import { TYPE_BYTES, elementCount, type TensorPayload } from '../image/tensor';
import type { ModelConfig, ModelInfo } from './describe';
import type { DecodeRequest, RunOutput, RunRequest, WorkerReply, WorkerRequest } from './protocol';

export type { ModelConfig, ModelInfo } from './describe';

export interface RunResult {
  output: RunOutput;
  /** Send to result, in the Node-RED thread. */
  latencyMs: number;
  runMs: number;
}

interface Pending {
  resolve: (result: RunResult) => void;
  reject: (err: Error) => void;
  sentAt: number;
}

const WORKER_FILE = path.join(__dirname, 'worker.js');

/**
 * One loaded model: a worker thread with its onnxruntime session. The Node-RED thread only
 * copies the tensor bytes into a pooled buffer and transfers it (the msg's Buffer may be
 * shared with other wires, so it is never detached).
 */
export class ModelHost {
  readonly info: ModelInfo;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #freeBuffers: ArrayBuffer[] = [];
  #nextId = 1;
  #closed = false;
  #deadReason: string | undefined;

  private constructor(worker: Worker, info: ModelInfo) {
    this.#worker = worker;
    this.info = info;
    worker.on('message', (reply: WorkerReply) => this.#onReply(reply));
    worker.on('error', (err) => this.#die(err.message));
    worker.on('exit', (code) => this.#die(`exit code ${code}`));
  }

  /** Start a worker and load the model in it; the worker reads, verifies and describes the file. */
  static async create(config: ModelConfig): Promise<ModelHost> {
    const worker = new Worker(WORKER_FILE);
    try {
      return new ModelHost(worker, await loadInWorker(worker, config));
    } catch (err) {
      await worker.terminate();
      throw err;
    }
  }

  /** Check a tensor from msg.payload against the model input before it is queued. */
  validate(tensor: unknown): TensorPayload {
    const t = tensor as Partial<TensorPayload> | undefined;
    if (!t || typeof t !== 'object' || !Buffer.isBuffer(t.data) || !Array.isArray(t.dims) || typeof t.type !== 'string' || !(t.type in TYPE_BYTES)) {
      throw new EdgeAiError('notTensor', { received: describeValue(tensor) });
    }
    const needed = elementCount(t.dims) * TYPE_BYTES[t.type];
    if (t.data.length !== needed) throw new EdgeAiError('tensorSize', { dims: t.dims.join(','), type: t.type, expected: needed, received: t.data.length });
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
    return t as TensorPayload;
  }

  run(tensor: TensorPayload, decode: DecodeRequest): Promise<RunResult> {
    if (this.#closed || this.#deadReason) {
      return Promise.reject(this.#deadReason ? new EdgeAiError('workerDied', { path: this.info.path, reason: this.#deadReason }) : new EdgeAiError('modelClosed', { path: this.info.path }));
    }
    const buffer = this.#takeBuffer(tensor.data.length);
    new Uint8Array(buffer, 0, tensor.data.length).set(tensor.data);
    const id = this.#nextId++;
    const request: RunRequest = {
      kind: 'run', id, decode,
      input: { buffer, byteLength: tensor.data.length, dims: tensor.dims, type: tensor.type, convert: tensor.convert },
    };
    return new Promise<RunResult>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, sentAt: performance.now() });
      this.#post(request, [buffer]);
    });
  }

  /** Release the session and stop the worker; pending runs fail with modelClosed. */
  async release(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#failPending('modelClosed', { path: this.info.path });
    if (!this.#deadReason) {
      const released = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        this.#worker.on('message', (reply: WorkerReply) => {
          if (reply.kind === 'released') {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      this.#post({ kind: 'release' });
      await released;
    }
    await this.#worker.terminate();
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  #post(message: WorkerRequest, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(message, transfer);
  }

  #takeBuffer(byteLength: number): ArrayBuffer {
    const index = this.#freeBuffers.findIndex((b) => b.byteLength >= byteLength);
    return index >= 0 ? this.#freeBuffers.splice(index, 1)[0] : new ArrayBuffer(byteLength);
  }

  #onReply(reply: WorkerReply): void {
    if (reply.kind !== 'result' && reply.kind !== 'error') return;
    // Keep a few input buffers for reuse; more would only pin memory.
    if (reply.buffer && this.#freeBuffers.length < 4) this.#freeBuffers.push(reply.buffer);
    const pending = reply.id === undefined ? undefined : this.#pending.get(reply.id);
    if (!pending || reply.id === undefined) return;
    this.#pending.delete(reply.id);
    if (reply.kind === 'result') {
      pending.resolve({ output: reply.output, latencyMs: performance.now() - pending.sentAt, runMs: reply.runMs });
    } else {
      pending.reject(reply.code ? new EdgeAiError(reply.code, reply.params) : new EdgeAiError('runFailed', { path: this.info.path, reason: reply.message }));
    }
  }

  #die(reason: string): void {
    if (this.#closed || this.#deadReason) return;
    this.#deadReason = reason;
    this.#failPending('workerDied', { path: this.info.path, reason });
  }

  #failPending(code: ErrorCode, params: Record<string, string>): void {
    for (const pending of this.#pending.values()) pending.reject(new EdgeAiError(code, params));
    this.#pending.clear();
  }
}

function loadInWorker(worker: Worker, config: ModelConfig): Promise<ModelInfo> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number): void => reject(new EdgeAiError('workerDied', { path: config.path, reason: `exit code ${code}` }));
    const onError = (err: Error): void => reject(new EdgeAiError('workerDied', { path: config.path, reason: err.message }));
    worker.once('exit', onExit);
    worker.once('error', onError);
    worker.once('message', (reply: WorkerReply) => {
      worker.off('exit', onExit);
      worker.off('error', onError);
      if (reply.kind === 'loaded') resolve(reply.info);
      else if (reply.kind === 'error' && reply.code) reject(new EdgeAiError(reply.code, reply.params));
      else reject(new EdgeAiError('modelInvalid', { path: config.path, reason: reply.kind === 'error' ? reply.message : reply.kind }));
    });
    const request: WorkerRequest = { kind: 'load', config };
    worker.postMessage(request);
  });
}

