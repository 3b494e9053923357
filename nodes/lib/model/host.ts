import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { EdgeAiError, describeValue, type ErrorCode } from '../errors';
import { readYoloLayout, type YoloLayout } from '../decode/yolo';
import { TYPE_BYTES, elementCount, type TensorPayload } from '../image/tensor';
import { parseLabelLines, parseUltralyticsNames } from './labels';
import { readOnnxModelInfo, type OnnxModelInfo } from './onnx-metadata';
import type { DecodeRequest, ModelTask, RunOutput, RunRequest, TensorInfo, WorkerReply, WorkerRequest } from './protocol';

export type LabelSource =
  | { kind: 'metadata' }
  | { kind: 'file'; path: string }
  | { kind: 'inline'; labels: string[] }
  | { kind: 'none' };

export interface ModelConfig {
  /** Absolute path of the .onnx file. */
  path: string;
  sha256?: string;
  task: ModelTask;
  yoloLayout: YoloLayout;
  labels: LabelSource;
  threads: number;
  spinning: boolean;
}

/** The image input the model takes, read from its input metadata. */
export interface InputGeometry {
  name: string;
  type: 'float32' | 'uint8';
  layout: 'nchw' | 'nhwc';
  width: number;
  height: number;
  dims: number[];
}

export interface ModelInfo {
  path: string;
  sha256: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  onnx: OnnxModelInfo;
  labels?: string[];
  input: InputGeometry;
}

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

  static async create(config: ModelConfig): Promise<ModelHost> {
    const bytes = await readModelFile(config.path);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (config.sha256 && config.sha256.toLowerCase() !== sha256) {
      throw new EdgeAiError('modelHashMismatch', { path: config.path, actual: sha256, expected: config.sha256.toLowerCase() });
    }
    let onnx: OnnxModelInfo;
    try {
      onnx = readOnnxModelInfo(bytes);
    } catch (err) {
      throw new EdgeAiError('modelInvalid', { path: config.path, reason: `not an ONNX model (${(err as Error).message})` });
    }
    const labels = await resolveLabels(config, onnx);
    const worker = new Worker(WORKER_FILE);
    try {
      const loaded = await loadInWorker(worker, bytes, config, labels);
      const input = inputGeometry(config.path, loaded.inputs);
      const info: ModelInfo = { path: config.path, sha256, inputs: loaded.inputs, outputs: loaded.outputs, onnx, labels, input };
      checkLabelCount(config, info);
      return new ModelHost(worker, info);
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

async function readModelFile(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new EdgeAiError('modelNotFound', { path: file });
    throw new EdgeAiError('modelUnreadable', { path: file, reason: e.message });
  }
}

async function resolveLabels(config: ModelConfig, onnx: OnnxModelInfo): Promise<string[] | undefined> {
  const source = config.labels;
  if (source.kind === 'none' || config.task === 'raw') return undefined;
  if (source.kind === 'inline') return source.labels;
  if (source.kind === 'file') {
    try {
      return parseLabelLines(await fs.readFile(source.path, 'utf8'));
    } catch (err) {
      throw new EdgeAiError('labelsFile', { path: source.path, reason: (err as Error).message });
    }
  }
  const names = onnx.metadata.names === undefined ? undefined : parseUltralyticsNames(onnx.metadata.names);
  if (!names) throw new EdgeAiError('labelsMissing', { path: config.path });
  return names;
}

function loadInWorker(worker: Worker, bytes: Buffer, config: ModelConfig, labels: string[] | undefined): Promise<{ inputs: TensorInfo[]; outputs: TensorInfo[] }> {
  // A private copy to transfer: fs may hand back a Buffer that is a view of a larger pool.
  const modelBytes = new Uint8Array(bytes).buffer;
  return new Promise((resolve, reject) => {
    const onExit = (code: number): void => reject(new EdgeAiError('workerDied', { path: config.path, reason: `exit code ${code}` }));
    const onError = (err: Error): void => reject(new EdgeAiError('workerDied', { path: config.path, reason: err.message }));
    worker.once('exit', onExit);
    worker.once('error', onError);
    worker.once('message', (reply: WorkerReply) => {
      worker.off('exit', onExit);
      worker.off('error', onError);
      if (reply.kind === 'loaded') resolve(reply);
      else reject(new EdgeAiError('modelInvalid', { path: config.path, reason: reply.kind === 'error' ? reply.message : reply.kind }));
    });
    const request: WorkerRequest = {
      kind: 'load', modelBytes,
      settings: { threads: config.threads, spinning: config.spinning, task: config.task, yoloLayout: config.yoloLayout, labels },
    };
    worker.postMessage(request, [modelBytes]);
  });
}

function inputGeometry(modelPath: string, inputs: TensorInfo[]): InputGeometry {
  if (inputs.length !== 1) {
    throw new EdgeAiError('modelInputs', { path: modelPath, count: inputs.length, names: inputs.map((i) => i.name).join(', ') });
  }
  const [input] = inputs;
  const dims = input.dims.map((d) => (typeof d === 'number' && d > 0 ? d : -1));
  const shapeError = (): never => {
    throw new EdgeAiError('modelInputShape', { input: input.name, dims: input.dims.join(',') });
  };
  if (dims.length !== 4 || (input.type !== 'float32' && input.type !== 'uint8')) return shapeError();
  const layout = dims[1] === 3 ? 'nchw' : dims[3] === 3 ? 'nhwc' : shapeError();
  const [height, width] = layout === 'nchw' ? [dims[2], dims[3]] : [dims[1], dims[2]];
  // Dynamic batch axes are fed with batch 1.
  dims[0] = 1;
  return { name: input.name, type: input.type, layout, width, height, dims };
}

function checkLabelCount(config: ModelConfig, info: ModelInfo): void {
  const { labels } = info;
  const output = info.outputs[0];
  if (!labels || !output || config.task === 'raw' || !output.dims.every((d) => typeof d === 'number' && d > 0)) return;
  const dims = output.dims as number[];
  const classes = config.task === 'classification' ? dims[dims.length - 1] : readYoloLayout(dims, config.yoloLayout, labels.length).classes;
  if (classes !== labels.length) {
    const source = config.labels.kind === 'file' ? config.labels.path : config.labels.kind;
    throw new EdgeAiError('labelsCount', { source, labels: labels.length, classes });
  }
}
