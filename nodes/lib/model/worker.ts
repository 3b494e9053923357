// The inference worker: one per loaded model. It owns the onnxruntime session, runs the model
// on the tensor the host filled and decodes the outputs, so the Node-RED thread only moves
// buffers and small result arrays.
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { EdgeAiError } from '../errors';
import { decodeDetections, topK, toProbabilities, type DetectorSetup, type FloatOutput } from '../decode';
import { detectorSetup, inspectModel, type ModelConfig } from './describe';
import { openSession } from './open-session';
import type { DecodeRequest, RawTensor, RunOutput, RunRequest, WorkerReply, WorkerRequest } from './protocol';

const port = parentPort;
if (!port) throw new Error('worker.js must run in a worker thread');

let session: ort.InferenceSession | undefined;
let config: ModelConfig | undefined;
let labels: string[] | undefined;
let detectors: DetectorSetup | undefined;

const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

async function load(next: ModelConfig): Promise<void> {
  const opened = await openSession(next);
  session = opened.session;
  config = next;
  labels = opened.info.labels;
  detectors = detectorSetup(next.yoloLayout, opened.info.doctor, opened.info.outputs, opened.info.input);
  reply({ kind: 'loaded', info: opened.info });
}

function inputTensor({ input }: RunRequest): ort.Tensor {
  const data = input.type === 'float32'
    ? new Float32Array(input.buffer, 0, input.byteLength / 4)
    : new Uint8Array(input.buffer, 0, input.byteLength);
  return new ort.Tensor(input.type, data, input.dims);
}

/**
 * A numeric output as float32 for the decoders: class ids and counts often come as int64 or
 * int32 (small outputs, so copying costs nothing). Strings and booleans are left out.
 */
function asFloats(tensor: ort.Tensor): Float32Array | undefined {
  const { data } = tensor;
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float32Array.from(data, Number);
  if (ArrayBuffer.isView(data) && !(data instanceof DataView) && tensor.type !== 'bool') return Float32Array.from(data as unknown as ArrayLike<number>);
  return undefined;
}

function decode(outputs: ort.InferenceSession.ReturnType, request: DecodeRequest, names: readonly string[]): { output: RunOutput; transfer: ArrayBuffer[] } {
  if (request.kind === 'raw') {
    const raw: Record<string, RawTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const name of names) {
      const tensor = outputs[name];
      const view = tensor.data as ArrayBufferView;
      // Copy out of onnxruntime's memory into a buffer this thread can transfer.
      const copy = new Uint8Array(view.byteLength);
      copy.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      raw[name] = { data: copy.buffer, dims: [...tensor.dims], type: tensor.type };
      transfer.push(copy.buffer);
    }
    return { output: raw, transfer };
  }
  const floats = (name: string): FloatOutput => {
    const tensor = outputs[name];
    if (tensor.type !== 'float32') {
      throw new EdgeAiError('outputShape', { output: name, dims: tensor.dims.join(','), decoder: request.kind, reason: `type ${tensor.type}, expected float32` });
    }
    return { data: tensor.data as Float32Array, dims: tensor.dims };
  };
  if (request.kind === 'classification') {
    const first = outputs[names[0]];
    const { data } = floats(names[0]);
    const classes = first.dims[first.dims.length - 1];
    if (data.length !== classes) {
      throw new EdgeAiError('outputShape', { output: names[0], dims: first.dims.join(','), decoder: 'classification', reason: 'expected [1, C] or [C]' });
    }
    if (labels && labels.length !== classes) throw new EdgeAiError('labelsCount', { source: 'configured', labels: labels.length, classes });
    return { output: topK(toProbabilities(data), request.topK, request.minScore, labels), transfer: [] };
  }
  if (!detectors) throw new Error('run before load');
  const floatOutputs = Object.fromEntries(names.flatMap((name) => {
    const data = asFloats(outputs[name]);
    return data ? [[name, { data, dims: outputs[name].dims }]] : [];
  }));
  const detections = decodeDetections(floatOutputs, detectors, request.yolo, labels, request.transform);
  return { output: detections, transfer: [] };
}

async function run(request: RunRequest): Promise<void> {
  if (!session || !config) throw new Error('run before load');
  const started = performance.now();
  const feeds = { [session.inputNames[0]]: inputTensor(request) };
  const runStarted = performance.now();
  const outputs = await session.run(feeds);
  const runMs = performance.now() - runStarted;
  try {
    const { output, transfer } = decode(outputs, request.decode, session.outputNames);
    const workerMs = performance.now() - started;
    reply({ kind: 'result', id: request.id, output, buffer: request.input.buffer, runMs, workerMs }, [request.input.buffer, ...transfer]);
  } finally {
    for (const tensor of Object.values(outputs)) tensor.dispose();
  }
}

function fail(err: unknown, request?: RunRequest): void {
  const base = { kind: 'error' as const, id: request?.id, message: err instanceof Error ? err.message : String(err) };
  const withCode = err instanceof EdgeAiError ? { ...base, code: err.code, params: err.params } : base;
  if (request) reply({ ...withCode, buffer: request.input.buffer }, [request.input.buffer]);
  else reply(withCode);
}

// Messages are handled one at a time, in order: a run never overlaps another.
let queue = Promise.resolve();
port.on('message', (message: WorkerRequest) => {
  queue = queue.then(async () => {
    try {
      if (message.kind === 'load') await load(message.config);
      else if (message.kind === 'inspect') reply({ kind: 'inspected', report: await inspectModel(message.path) });
      else if (message.kind === 'run') await run(message);
      else {
        await session?.release();
        session = undefined;
        reply({ kind: 'released' });
      }
    } catch (err) {
      fail(err, message.kind === 'run' ? message : undefined);
    }
  });
});
