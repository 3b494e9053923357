// The inference worker thread as the host sees it: started with a model, runs sent and answered
// in order, transferred buffers handed back, and a clear error when the worker dies.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { EdgeAiError, type ErrorCode } from '../errors';
import type { InspectReport, ModelConfig, ModelInfo } from './describe';
import type { DecodeRequest, RunOutput, RunRequest, WireTensor, WorkerReply, WorkerRequest } from './protocol';

export interface WorkerResult {
  output: RunOutput;
  /** Send to result, in the Node-RED thread. */
  latencyMs: number;
  runMs: number;
}

interface Pending {
  resolve: (result: WorkerResult) => void;
  reject: (err: Error) => void;
  sentAt: number;
}

const WORKER_FILE = path.join(__dirname, 'worker.js');
/** How long a worker gets to release its session before it is terminated. */
const RELEASE_TIMEOUT_MS = 2000;

/**
 * One worker thread with one loaded onnxruntime session. Runs are answered in order; input
 * buffers come back with each answer and go to `recycle` for reuse.
 */
export class SessionWorker {
  readonly info: ModelInfo;
  readonly #worker: Worker;
  readonly #recycle: (buffer: ArrayBuffer) => void;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;
  #deadReason: string | undefined;
  #drained: (() => void) | undefined;

  private constructor(worker: Worker, info: ModelInfo, recycle: (buffer: ArrayBuffer) => void) {
    this.#worker = worker;
    this.info = info;
    this.#recycle = recycle;
    worker.on('message', (reply: WorkerReply) => this.#onReply(reply));
    worker.on('error', (err) => this.#die(err.message));
    worker.on('exit', (code) => this.#die(`exit code ${code}`));
  }

  /** Worker threads of this module alive now (for leak checks). */
  static get live(): number {
    return liveWorkers;
  }

  /** Start a worker and load the model; the worker reads, verifies and describes the file. */
  static async start(config: ModelConfig, recycle: (buffer: ArrayBuffer) => void): Promise<SessionWorker> {
    const worker = newWorker();
    try {
      return new SessionWorker(worker, await loadInWorker(worker, config), recycle);
    } catch (err) {
      await worker.terminate();
      throw err;
    }
  }

  /** Why the worker stopped by itself, if it did. */
  get deadReason(): string | undefined {
    return this.#deadReason;
  }

  run(input: WireTensor, decode: DecodeRequest): Promise<WorkerResult> {
    if (this.#closed || this.#deadReason) {
      this.#recycle(input.buffer);
      const path = this.info.path;
      return Promise.reject(this.#deadReason ? new EdgeAiError('workerDied', { path, reason: this.#deadReason }) : new EdgeAiError('modelClosed', { path }));
    }
    const id = this.#nextId++;
    const request: RunRequest = { kind: 'run', id, decode, input };
    return new Promise<WorkerResult>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, sentAt: performance.now() });
      this.#post(request, [input.buffer]);
    });
  }

  /** Let the runs already sent finish, then release (used when a reloaded model takes over). */
  async retire(): Promise<void> {
    if (this.#pending.size) await new Promise<void>((resolve) => { this.#drained = resolve; });
    await this.release();
  }

  /** Release the session and stop the worker; runs still pending fail with modelClosed. */
  async release(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#failPending('modelClosed', { path: this.info.path });
    if (!this.#deadReason) {
      const released = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, RELEASE_TIMEOUT_MS);
        this.#worker.on('message', (reply: WorkerReply) => {
          if (reply.kind !== 'released') return;
          clearTimeout(timer);
          resolve();
        });
      });
      this.#post({ kind: 'release' });
      await released;
    }
    await this.#worker.terminate();
  }

  #post(message: WorkerRequest, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(message, transfer);
  }

  #onReply(reply: WorkerReply): void {
    if (reply.kind !== 'result' && reply.kind !== 'error') return;
    if (reply.buffer) this.#recycle(reply.buffer);
    const pending = reply.id === undefined ? undefined : this.#pending.get(reply.id);
    if (!pending || reply.id === undefined) return;
    this.#pending.delete(reply.id);
    if (reply.kind === 'result') {
      pending.resolve({ output: reply.output, latencyMs: performance.now() - pending.sentAt, runMs: reply.runMs });
    } else {
      pending.reject(reply.code ? new EdgeAiError(reply.code, reply.params) : new EdgeAiError('runFailed', { path: this.info.path, reason: reply.message }));
    }
    if (!this.#pending.size) this.#drained?.();
  }

  #die(reason: string): void {
    if (this.#closed || this.#deadReason) return;
    this.#deadReason = reason;
    this.#failPending('workerDied', { path: this.info.path, reason });
  }

  #failPending(code: ErrorCode, params: Record<string, string>): void {
    for (const pending of this.#pending.values()) pending.reject(new EdgeAiError(code, params));
    this.#pending.clear();
    this.#drained?.();
  }
}

let liveWorkers = 0;

/** A worker thread, counted until it exits. */
function newWorker(): Worker {
  const worker = new Worker(WORKER_FILE);
  liveWorkers++;
  worker.once('exit', () => { liveWorkers--; });
  return worker;
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

/** Run the model doctor on a file in a short-lived worker, off the Node-RED thread. */
export async function inspectInWorker(file: string): Promise<InspectReport> {
  const worker = newWorker();
  try {
    return await new Promise<InspectReport>((resolve, reject) => {
      worker.once('error', (err) => reject(new EdgeAiError('workerDied', { path: file, reason: err.message })));
      worker.once('message', (reply: WorkerReply) => {
        if (reply.kind === 'inspected') resolve(reply.report);
        else if (reply.kind === 'error' && reply.code) reject(new EdgeAiError(reply.code, reply.params));
        else reject(new EdgeAiError('modelInvalid', { path: file, reason: reply.kind === 'error' ? reply.message : reply.kind }));
      });
      const request: WorkerRequest = { kind: 'inspect', path: file };
      worker.postMessage(request);
    });
  } finally {
    await worker.terminate();
  }
}

