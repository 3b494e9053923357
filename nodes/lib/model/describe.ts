// What a model is, read from its file: hash, ONNX metadata, inputs/outputs, labels and the
// image input it takes. A TensorFlow Lite file is imported to ONNX first (imported.ts). Runs in the inference worker so the Node-RED thread never parses
// or hashes megabytes.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EdgeAiError } from '../errors';
import { readYoloLayout, type Detector, type DetectorSetup, type YoloLayout } from '../decode';
import { parseLabelLines, parseUltralyticsNames } from './labels';
import { examineModel, type DoctorReport } from './doctor';
import { externalDataLocations, readOnnxModelInfo, type OnnxModelInfo } from '../onnx';
import { MAX_LABELS_BYTES, type ModelTask, type TensorInfo } from '../types';
import { resolveInside, type OutsideFolder } from '../paths';
import { importedModel, isTflite } from './imported';
import type { ImportOptions } from '../tflite';

export type LabelSource =
  | { kind: 'auto' }
  | { kind: 'metadata' }
  | { kind: 'file'; path: string }
  | { kind: 'inline'; labels: string[] }
  | { kind: 'none' };

export interface ModelConfig {
  /** Absolute path of the model file (.onnx, or .tflite imported to ONNX). */
  path: string;
  sha256?: string;
  /** 'auto' takes the task the model doctor proposes. */
  task: ModelTask | 'auto';
  yoloLayout: YoloLayout;
  labels: LabelSource;
  threads: number;
  spinning: boolean;
  /** Run S8S8 QDQ models with unsigned activations where that is exact and faster. */
  unsignedInt8: boolean;
  /** Import asymmetric uint8 TFLite weights as symmetric int8: faster, not exact (tflite/importer.ts). */
  tfliteSymmetricWeights?: boolean;
  /** Open and run each new model file in a separate process first (a crash there cannot take Node-RED down). */
  checkFirst: boolean;
  /** Reload when the file changes on disk. */
  watch: boolean;
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
  /** The task in effect: configured, or proposed by the doctor for 'auto'. */
  task: ModelTask;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  onnx: OnnxModelInfo;
  doctor: DoctorReport;
  labels?: string[];
  input: InputGeometry;
  /** Activation zero points made unsigned for speed (see unsigned-activations.ts); 0 when none. */
  unsignedZeroPoints: number;
  /** Weights kept in files beside the model (checked to lie inside its folder). */
  externalData: boolean;
  /** The file's format: ONNX, or TensorFlow Lite imported to ONNX. */
  format: ModelFormat;
}

export type ModelFormat = 'onnx' | 'tflite';

/** What the model doctor says about a file, without loading it into onnxruntime. */
export interface InspectReport extends DoctorReport {
  path: string;
  sha256: string;
  size: number;
  format: ModelFormat;
}

/** Model files of other frameworks, known by their first bytes, and what to do with them. */
const OTHER_FORMATS: Array<{ format: string; is: (bytes: Buffer) => boolean; hint: string }> = [
  { format: 'Keras / HDF5 (.h5)', is: (b) => b.toString('latin1', 0, 8) === '\x89HDF\r\n\x1a\n', hint: 'export it to ONNX (tf2onnx) or TensorFlow Lite first' },
  { format: 'zip (PyTorch .pt or Keras .keras)', is: (b) => b.toString('latin1', 0, 4) === 'PK\x03\x04', hint: 'export it to ONNX first (torch.onnx.export, or tf2onnx for Keras)' },
  { format: 'JSON (a TensorFlow.js model.json?)', is: (b) => b.toString('latin1', 0, 1) === '{', hint: 'convert the TensorFlow.js model to ONNX first' },
];

interface ModelFile {
  /** The ONNX model (a TFLite file's import). */
  bytes: Buffer;
  /** Of the file as it is on disk. */
  sha256: string;
  size: number;
  format: ModelFormat;
  onnx: OnnxModelInfo;
}

/**
 * The file's ONNX model, hash and description; a file that is neither ONNX nor TFLite is
 * modelInvalid, or modelFormat when it is known as another framework's.
 */
async function readModel(file: string, options: ImportOptions = {}): Promise<ModelFile> {
  const bytes = await readModelFile(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (isTflite(bytes)) {
    const { onnx } = await importedModel(file, bytes, sha256, options);
    return { bytes: onnx, sha256, size: bytes.length, format: 'tflite', onnx: readOnnxModelInfo(onnx) };
  }
  const other = OTHER_FORMATS.find((f) => f.is(bytes));
  if (other) throw new EdgeAiError('modelFormat', { path: file, format: other.format, hint: other.hint });
  try {
    return { bytes, sha256, size: bytes.length, format: 'onnx', onnx: readOnnxModelInfo(bytes) };
  } catch (err) {
    throw new EdgeAiError('modelInvalid', { path: file, reason: `not an ONNX model (${(err as Error).message})` });
  }
}

export async function inspectModel(file: string): Promise<InspectReport> {
  const { sha256, size, format, onnx } = await readModel(file);
  return { path: file, sha256, size, format, ...examineModel(onnx) };
}

/** Read, verify and describe a model file; returns its bytes for the session. */
export async function describeModel(config: ModelConfig): Promise<{ bytes: Buffer; info: Omit<ModelInfo, 'inputs' | 'outputs' | 'input' | 'unsignedZeroPoints'> }> {
  const { bytes, sha256, format, onnx } = await readModel(config.path, { symmetricWeights: config.tfliteSymmetricWeights });
  if (config.sha256 && config.sha256.toLowerCase() !== sha256) {
    throw new EdgeAiError('modelHashMismatch', { path: config.path, actual: sha256, expected: config.sha256.toLowerCase() });
  }
  const external = externalDataLocations(bytes);
  await checkExternalData(config.path, external);
  const doctor = examineModel(onnx);
  const task = config.task === 'auto' ? doctor.task : config.task;
  const labels = await resolveLabels(config, task, onnx);
  return { bytes, info: { path: config.path, sha256, task, onnx, doctor, labels, externalData: external.length > 0, format } };
}

/**
 * Weights in files beside the model must stay inside the model's folder: no absolute paths, no
 * .., no links leading out. A model file from elsewhere could otherwise read any file.
 */
async function checkExternalData(modelPath: string, locations: string[]): Promise<void> {
  const reasons: Record<OutsideFolder, string> = {
    empty: 'no usable file name',
    absolute: 'an absolute path',
    climbs: 'it climbs out of the model\'s folder with ..',
    missing: 'no such file beside the model',
    linkOut: 'a link leading out of the model\'s folder',
  };
  for (const location of locations) {
    const inside = await resolveInside(path.dirname(modelPath), location);
    if ('outside' in inside) throw new EdgeAiError('modelExternalData', { path: modelPath, location: JSON.stringify(location), reason: reasons[inside.outside] });
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

async function resolveLabels(config: ModelConfig, task: ModelTask, onnx: OnnxModelInfo): Promise<string[] | undefined> {
  const source = config.labels;
  if (source.kind === 'none' || task === 'raw') return undefined;
  if (source.kind === 'inline') return source.labels;
  if (source.kind === 'file') {
    try {
      // Its size first: the file is read whole only when it may be a labels file at all.
      const { size } = await fs.stat(source.path);
      if (size > MAX_LABELS_BYTES) throw new Error(`${size} bytes, more than the ${MAX_LABELS_BYTES / 2 ** 20} MB a labels file may hold`);
      return parseLabelLines(await fs.readFile(source.path, 'utf8'));
    } catch (err) {
      throw new EdgeAiError('labelsFile', { path: source.path, reason: (err as Error).message });
    }
  }
  const names = onnx.metadata.names === undefined ? undefined : parseUltralyticsNames(onnx.metadata.names);
  if (!names && source.kind === 'metadata') throw new EdgeAiError('labelsMissing', { path: config.path });
  return names;
}

export function inputGeometry(modelPath: string, inputs: TensorInfo[]): InputGeometry {
  if (inputs.length !== 1) {
    throw new EdgeAiError('modelInputs', { path: modelPath, count: inputs.length, names: inputs.map((i) => i.name).join(', ') });
  }
  const [input] = inputs;
  const dims = input.dims.map((d) => (typeof d === 'number' && d > 0 ? d : -1));
  const shapeError = (): never => {
    throw new EdgeAiError('modelInputShape', { input: input.name, path: modelPath, dims: input.dims.join(',') });
  };
  // An image input of another element type is not a shape problem: say which type it is.
  if (input.type !== 'float32' && input.type !== 'uint8') {
    throw new EdgeAiError('modelInputType', { input: input.name, path: modelPath, type: input.type });
  }
  if (dims.length !== 4) return shapeError();
  const layout = dims[1] === 3 ? 'nchw' : dims[3] === 3 ? 'nhwc' : shapeError();
  const [height, width] = layout === 'nchw' ? [dims[2], dims[3]] : [dims[1], dims[2]];
  // Dynamic batch axes are fed with batch 1.
  dims[0] = 1;
  return { name: input.name, type: input.type, layout, width, height, dims };
}

/** The decoder set on the model node, or the one the doctor recognised for "auto". */
function detectorFor(yoloLayout: YoloLayout, doctor: DoctorReport): Detector {
  if (yoloLayout === 'yolox' || yoloLayout === 'end-to-end' || yoloLayout === 'movenet') return yoloLayout;
  if (yoloLayout !== 'auto') return 'yolo';
  const own: readonly string[] = ['yolox', 'end-to-end', 'boxes-scores', 'tf-detection', 'yunet', 'blazeface', 'movenet'];
  return own.includes(doctor.layout) ? doctor.layout as Detector : 'yolo';
}

/** Which decoder a detection model gets, and which of its outputs play which part. */
export function detectorSetup(yoloLayout: YoloLayout, doctor: DoctorReport, outputs: readonly TensorInfo[], input: { width: number; height: number }): DetectorSetup {
  const note = doctor.notes.find((n) => n.code === 'boxesScores');
  const tf = doctor.notes.find((n) => n.code === 'tfDetection')?.params as DetectorSetup['tf'];
  // BlazeFace: scores end in 1 value, regressors in 16; the fine grid has more anchors.
  const byAnchors = (values: number): string[] => outputs
    .filter((o) => o.dims[o.dims.length - 1] === values)
    .sort((a, b) => Number(b.dims[b.dims.length - 2]) - Number(a.dims[a.dims.length - 2]))
    .map((o) => o.name);
  return {
    detector: detectorFor(yoloLayout, doctor), yoloLayout, inputWidth: input.width, inputHeight: input.height,
    first: outputs[0]?.name ?? '', keypoints: doctor.keypoints, tf,
    scores: note && String(note.params?.scores), boxes: note && String(note.params?.boxes),
    gridScores: byAnchors(1), gridRegressors: byAnchors(16),
  };
}

export function checkLabelCount(config: ModelConfig, info: ModelInfo): void {
  const { labels } = info;
  const setup = detectorSetup(config.yoloLayout, info.doctor, info.outputs, info.input);
  const { detector } = setup;
  const output = detector === 'boxes-scores' ? info.outputs.find((o) => o.name === setup.scores) : info.outputs[0];
  if (!labels || !output || info.task === 'raw' || !output.dims.every((d) => typeof d === 'number' && d > 0)) return;
  // Finished detections name their class ids; any label count fits.
  if (detector === 'end-to-end' || detector === 'tf-detection') return;
  if (detector === 'yunet' || detector === 'blazeface' || detector === 'movenet') {
    if (labels.length !== 1) throw new EdgeAiError('labelsCount', { source: 'configured', labels: labels.length, classes: 1 });
    return;
  }
  const dims = output.dims as number[];
  const classes = info.task === 'classification' || detector === 'boxes-scores'
    ? dims[dims.length - 1]
    : readYoloLayout(dims, config.yoloLayout, labels.length, setup.keypoints).classes;
  if (classes !== labels.length) {
    const source = config.labels.kind === 'file' ? config.labels.path : config.labels.kind;
    throw new EdgeAiError('labelsCount', { source, labels: labels.length, classes });
  }
}

/** Tensors in one line: "images float32[1,3,640,640], mask uint8[1,640,640]". */
export function describeTensors(list: readonly TensorInfo[]): string {
  return list.map((t) => `${t.name} ${t.type}[${t.dims.join(',')}]`).join(', ');
}

/** A loaded model in one line, for the log: file, hash, inputs, outputs, labels, metadata keys. */
export function modelSummary(info: ModelInfo): string {
  const meta = Object.keys(info.onnx.metadata);
  return `${path.basename(info.path)}${info.format === 'tflite' ? ' (TensorFlow Lite, imported)' : ''} sha256 ${info.sha256.slice(0, 12)}; inputs ${describeTensors(info.inputs)}; outputs ${describeTensors(info.outputs)}` +
    `; ${info.labels ? `${info.labels.length} labels` : 'no labels'}${meta.length ? `; metadata ${meta.join(', ')}` : ''}` +
    (info.unsignedZeroPoints ? `; signed int8 activations run as unsigned (${info.unsignedZeroPoints} zero points)` : '');
}
