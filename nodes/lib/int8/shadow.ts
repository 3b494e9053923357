// The shadow check: the float model and its int8 candidate side by side on images the
// calibration did not see, each answer decoded as the model node would, then agreement, speed-up
// and size against thresholds. The quantizer writes its report next to the int8 file, and the
// model node serves the int8 model only when a report for these exact two files passes.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { openImage, preprocessImage } from '../image';
import { examineModel, inputGeometry, modelPreprocessSpec, type ModelNodeSettings } from '../model';
import { readOnnxModelInfo } from '../onnx';
import { EdgeAiError } from '../errors';
import { alternatingMedians, inputFeed, type Feed } from './sessions';
import { answerOf, compareAnswers, describeAgreement, judgedRate, modelTask, DETECTION_THRESHOLDS, MINIMUM_JUDGED_IMAGES, type Agreement, type Answer, type ModelTask } from './agreement';

export interface ShadowThresholds {
  /** Share of top-1s (classifier) or of fp32's detections (detector) int8 must agree on. */
  minAgreement: number;
  /** Detector: int8's new detections, as a share of fp32's, at most. */
  maxAdded: number;
  /** int8's speed over fp32's, at least (1 = no slower). */
  minSpeedup: number;
}

export const DEFAULT_SHADOW_THRESHOLDS: ShadowThresholds = { minAgreement: 0.95, maxAdded: 0.05, minSpeedup: 1.2 };

export interface ModelFileFacts {
  sha256: string;
  bytes: number;
}

export interface ShadowReport {
  version: 1;
  fp32: ModelFileFacts;
  int8: ModelFileFacts;
  images: number;
  agreement: Agreement;
  /** Median session.run times on the same input, alternating. */
  fp32Ms: number;
  int8Ms: number;
  speedup: number;
  /** int8 size over fp32 size. */
  sizeRatio: number;
  thresholds: ShadowThresholds;
  passed: boolean;
  /** Why it failed, one line each (empty when it passed). */
  failures: string[];
  summary: string;
}

/** The fields that are set: an unset option keeps its default when spread over the defaults. */
export const definedOnly = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export const fileFacts = (bytes: Uint8Array): ModelFileFacts => ({ sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length });

/** Where the check of an int8 file is kept: beside it, named after it. */
export const shadowReportPath = (int8File: string): string => path.join(path.dirname(int8File), `${path.basename(int8File)}.check.json`);

/**
 * The model's input tensors for images (Buffers or file paths), preprocessed the way the model
 * node does with `settings` (the doctor's proposal where they say nothing), in the input's own
 * type (float32, or uint8 for quantized TFLite imports).
 */
export async function* modelTensors(
  modelBytes: Uint8Array, images: Iterable<Buffer | string>, settings: ModelNodeSettings = {},
): AsyncGenerator<{ data: Float32Array | Uint8Array; type: 'float32' | 'uint8'; dims: number[] }> {
  const onnx = readOnnxModelInfo(modelBytes);
  const doctor = examineModel(onnx);
  const geometry = inputGeometry('model', onnx.inputs);
  const spec = modelPreprocessSpec(settings, { doctor, input: geometry });
  for (const image of images) {
    const name = typeof image === 'string' ? path.basename(image) : 'image';
    let tensor;
    try {
      ({ tensor } = await preprocessImage(typeof image === 'string' ? await readFile(image) : image, undefined, spec, true));
    } catch (err) {
      throw new Error(`${name}: not an image the model can take (${imageFileProblem(err)})`);
    }
    const bytes = tensor.data.buffer.slice(tensor.data.byteOffset, tensor.data.byteOffset + tensor.data.byteLength);
    yield { data: tensor.type === 'uint8' ? new Uint8Array(bytes) : new Float32Array(bytes), type: tensor.type === 'uint8' ? 'uint8' : 'float32', dims: [...tensor.dims] };
  }
}

/**
 * Why an image file could not be used, in the words of a file on the command line: the engine's
 * texts speak of msg.payload and "this node", which a file given to a command is not.
 */
function imageFileProblem(err: unknown): string {
  if (!(err instanceof EdgeAiError)) return (err as Error).message;
  const p = err.params;
  if (err.code === 'notImage') return `expected JPEG, PNG, WebP, TIFF, GIF or BMP, but the file holds ${p.received}`;
  if (err.code === 'corruptImage') return `the ${p.format} data could not be decoded (${p.reason})`;
  if (err.code === 'imageTooLarge') return `${p.width}x${p.height} is ${p.megapixels} megapixels, more than the ${p.limit} an image may have`;
  return err.message;
}

/** The model's float32 input tensors for images, as calibration and the shadow check take them. */
export async function* modelInputs(modelBytes: Uint8Array, images: Iterable<Buffer | string>, settings: ModelNodeSettings = {}): AsyncGenerator<Float32Array> {
  const geometry = inputGeometry('model', readOnnxModelInfo(modelBytes).inputs);
  if (geometry.type !== 'float32') throw new Error(`the model's input is ${geometry.type}; int8 calibration and checks take float32 inputs`);
  for await (const tensor of modelTensors(modelBytes, images, settings)) yield tensor.data as Float32Array;
}

/** The check's verdict against thresholds, with a reason for each miss. */
export function judge(report: Omit<ShadowReport, 'passed' | 'failures' | 'thresholds' | 'summary'>, thresholds: ShadowThresholds): Pick<ShadowReport, 'passed' | 'failures' | 'thresholds' | 'summary'> {
  const failures: string[] = [];
  const percent = (v: number): string => `${(100 * v).toFixed(1)} %`;
  const { agreement } = report;
  if (report.images < MINIMUM_JUDGED_IMAGES) failures.push(`only ${report.images} check images; at least ${MINIMUM_JUDGED_IMAGES} are needed`);
  if (agreement.kind === 'raw') failures.push('the model\'s outputs are not decoded (task raw), so int8\'s answers cannot be compared with fp32\'s');
  const judged = judgedRate(agreement);
  const sure = agreement.stableRate !== undefined && judged === agreement.stableRate && (agreement.stable ?? 0) >= MINIMUM_JUDGED_IMAGES;
  if (judged < thresholds.minAgreement) {
    failures.push(`${sure ? `agreement where fp32 is sure (${agreement.stable} images)` : 'agreement'} ${percent(judged)} is under ${percent(thresholds.minAgreement)}`);
  }
  if (agreement.kind === 'detection' && (agreement.addedRate ?? 0) > thresholds.maxAdded) failures.push(`${percent(agreement.addedRate ?? 0)} new detections is over ${percent(thresholds.maxAdded)}`);
  if (report.speedup < thresholds.minSpeedup) failures.push(`speed-up ${report.speedup.toFixed(2)}x is under ${thresholds.minSpeedup}x`);
  const summary = `${describeAgreement(agreement)}, ${report.speedup.toFixed(2)}x fp32 speed, ${percent(report.sizeRatio)} of its size, on ${report.images} images`;
  return { passed: !failures.length, failures, thresholds, summary };
}

/**
 * An image moved by two pixels (its first two rows and columns cut off) and saved as a JPEG of
 * quality 90: changes no one sees, which an answer the model is sure of survives.
 */
export async function reencoded(image: Buffer | string): Promise<Buffer> {
  const { image: opened, width, height } = await openImage(typeof image === 'string' ? await readFile(image) : image);
  return opened.extract({ left: 2, top: 2, width: width - 2, height: height - 2 }).jpeg({ quality: 90 }).toBuffer();
}

/** For each image, whether fp32's top-1 survives a JPEG re-encode (see Agreement.stable). */
export async function stableAnswers(
  session: ort.InferenceSession, model: Uint8Array, task: ModelTask, images: Array<Buffer | string>, answers: Answer[],
  feed: Feed, settings?: ModelNodeSettings,
): Promise<boolean[]> {
  const copies = [];
  for (const image of images) copies.push(await reencoded(image));
  const stable: boolean[] = [];
  let i = 0;
  for await (const data of modelInputs(model, copies, settings)) {
    const again = answerOf(task, await session.run(feed(data)) as never, session.outputNames);
    const before = answers[i++];
    stable.push(again.kind === 'classification' && before.kind === 'classification' && again.top1 === before.top1);
  }
  return stable;
}

export interface ShadowOptions {
  thresholds?: Partial<ShadowThresholds>;
  /** The model node's preprocessing settings. */
  settings?: ModelNodeSettings;
  /** The infer node's detection thresholds. */
  detection?: { confidence: number; iou: number };
  /** Threads per session (default 1, the model node's default). */
  threads?: number;
  /** Timed alternating runs for the speed-up (default 30). */
  timedRuns?: number;
}

/** Run both models on every image and judge the int8 one. */
export async function shadowCheck(fp32: Uint8Array, int8: Uint8Array, images: Iterable<Buffer | string>, options: ShadowOptions = {}): Promise<ShadowReport> {
  const thresholds = { ...DEFAULT_SHADOW_THRESHOLDS, ...definedOnly(options.thresholds ?? {}) };
  const imageList = [...images];
  const task = modelTask(fp32, options.detection ?? DETECTION_THRESHOLDS);
  // No spinning: one session's idle threads spinning would steal the cores from the other's run.
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all', logSeverityLevel: 3, intraOpNumThreads: options.threads ?? 1, interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const sessions = [await ort.InferenceSession.create(fp32, sessionOptions), await ort.InferenceSession.create(int8, sessionOptions)];
  try {
    const [reference, candidate] = sessions;
    const feed = inputFeed(reference);
    const pairs: Array<[Answer, Answer]> = [];
    let first: Float32Array | undefined;
    for await (const data of modelInputs(fp32, imageList, options.settings)) {
      first ??= data;
      const answers = [];
      for (const session of sessions) answers.push(answerOf(task, await session.run(feed(data)) as never, session.outputNames));
      pairs.push([answers[0], answers[1]]);
    }
    if (!first) throw new Error('no check images');
    const stable = task.kind === 'classification' ? await stableAnswers(reference, fp32, task, imageList, pairs.map(([a]) => a), feed, options.settings) : undefined;
    const [fp32Ms, int8Ms] = await alternatingMedians(sessions, first, options.timedRuns ?? 30);
    const measured = {
      version: 1 as const, fp32: fileFacts(fp32), int8: fileFacts(int8), images: pairs.length, agreement: compareAnswers(pairs, stable),
      fp32Ms: Math.round(fp32Ms * 100) / 100, int8Ms: Math.round(int8Ms * 100) / 100, speedup: Math.round((fp32Ms / int8Ms) * 100) / 100, sizeRatio: int8.length / fp32.length,
    };
    return { ...measured, ...judge(measured, thresholds) };
  } finally {
    for (const session of sessions) await session.release();
  }
}
