// The model doctor: recognise a model's output layout from its inputs, outputs and ONNX
// metadata, and propose the task, preprocessing and labels that make it work.
import type { YoloLayout } from '../decode';
import type { ChannelOrder, LetterboxAlign, NormalizePreset, ResizeMode } from '../image';
import { parseUltralyticsNames } from './labels';
import type { OnnxModelInfo } from '../onnx';
import type { ModelTask, TensorInfo } from '../types';

/** Notes the doctor can add, in English; the build copies them into the en-US catalog. */
export const DOCTOR_TEXTS = {
  ultralytics: 'Ultralytics YOLO __version__ output with __classes__ classes',
  yolox: 'YOLOX raw head: __anchors__ anchors over strides 8/16/32, __classes__ classes, objectness',
  yoloGuess: 'Looks like a YOLO __version__ output; the layout was guessed from its shape',
  boxesScores: 'SSD-style output pair: scores "__scores__" and boxes "__boxes__" over __anchors__ anchors (UltraFace-like); class 0 is the background, so labels start with it',
  yunet: 'YuNet face detector: cls/obj/bbox/kps outputs per stride',
  blazeface: 'BlazeFace: __anchors__ SSD anchors with 16 box and keypoint values each',
  classification: 'Classifier with __classes__ classes',
  imagenet: 'ImageNet classes (__classes__): use an ImageNet labels file (1001 puts "background" first)',
  normalizationFromMetadata: 'Normalisation read from the model metadata: (pixel - __mean__) / __std__',
  normalizationGuess: 'Normalisation is a guess (ImageNet mean/std); check what the model was trained with',
  uint8Input: 'The model takes uint8 pixels: no normalisation',
  dynamicInput: 'The input size is dynamic: set the preprocessing size by hand',
  notImageInput: 'The input is not an image tensor [1,3,H,W] or [1,H,W,3]: use raw task and your own tensor',
  unknownLayout: 'Output layout not recognised: the task is set to raw',
  labelsMetadata: '__count__ labels from the metadata "names"',
  ultralyticsTask: 'Ultralytics task "__task__" is not decoded yet: detect and pose are',
  ultralyticsPose: 'Ultralytics pose output: __keypoints__ keypoints (x, y, visibility) per person',
  endToEnd: 'NMS inside the model: output [K, __values__] of finished detections; the IoU setting has no effect',
  tfDetection: 'TF Object Detection outputs: boxes "__boxes__", classes "__classes__", scores "__scores__"; class ids start at 1, so use a label map with one line per id (90 lines for COCO) or put "background" first',
  movenet: 'MoveNet pose: __people__ with 17 keypoints each (y, x, score relative to the input)',
} as const;

export type DoctorNoteCode = keyof typeof DOCTOR_TEXTS;

export interface DoctorNote {
  code: DoctorNoteCode;
  params?: Record<string, string | number>;
}

export type ModelLayout =
  | 'ultralytics-v8' | 'ultralytics-v5' | 'yolox' | 'end-to-end' | 'boxes-scores' | 'tf-detection' | 'yunet' | 'blazeface' | 'movenet'
  | 'classification' | 'unknown';

export interface SuggestedPreprocess {
  width?: number;
  height?: number;
  layout?: 'nchw' | 'nhwc';
  dtype?: 'float32' | 'uint8';
  resize: ResizeMode;
  align: LetterboxAlign;
  padValue: number;
  channels: ChannelOrder;
  normalize: NormalizePreset;
  mean?: [number, number, number];
  std?: [number, number, number];
}

export interface DoctorReport {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  metadata: Record<string, string>;
  layout: ModelLayout;
  task: ModelTask;
  yoloLayout: YoloLayout;
  classes?: number;
  /** Keypoints per detection of an Ultralytics pose model. */
  keypoints?: number;
  labels: { source: 'metadata' | 'none'; count?: number };
  preprocess: SuggestedPreprocess;
  notes: DoctorNote[];
}

export const YOLO_STRIDES = [8, 16, 32];
/** Longest metadata value kept in a report (Ultralytics `names` can be long). */
const MAX_METADATA_TEXT = 4000;

const numeric = (dims: Array<number | string>): number[] | undefined =>
  dims.every((d) => typeof d === 'number' && d > 0) ? (dims as number[]) : undefined;

/** Anchor points of an anchor-free head at strides 8/16/32 for an input size. */
export function gridCells(width: number, height: number): number {
  return YOLO_STRIDES.reduce((sum, s) => sum + Math.ceil(width / s) * Math.ceil(height / s), 0);
}

/** `x = (pixel_uint8 - 128) * 0.0078125` or `(pixel - 127.5) / 127.5` in metadata. */
function normalizationFromText(text: string | undefined): { mean: number; std: number } | undefined {
  if (!text) return undefined;
  const scaled = /pixel\w*\s*-\s*([\d.]+)\s*\)\s*\*\s*([\d.]+)/.exec(text);
  if (scaled) return { mean: Number(scaled[1]), std: 1 / Number(scaled[2]) };
  const divided = /pixel\w*\s*-\s*([\d.]+)\s*\)\s*\/\s*([\d.]+)/.exec(text);
  if (divided) return { mean: Number(divided[1]), std: Number(divided[2]) };
  return undefined;
}

const base = (over: Partial<SuggestedPreprocess>): SuggestedPreprocess => ({
  resize: 'letterbox', align: 'center', padValue: 114, channels: 'rgb', normalize: 'unit', ...over,
});

/** Examine a model's description and propose how to use it. */
export function examineModel(model: Pick<OnnxModelInfo, 'inputs' | 'outputs' | 'metadata'>): DoctorReport {
  const notes: DoctorNote[] = [];
  const metadata = Object.fromEntries(Object.entries(model.metadata).map(([k, v]) => [k, v.slice(0, MAX_METADATA_TEXT)]));
  const report: DoctorReport = {
    inputs: model.inputs, outputs: model.outputs, metadata, layout: 'unknown', task: 'raw', yoloLayout: 'auto',
    labels: { source: 'none' }, preprocess: base({}), notes,
  };

  const input = model.inputs.length === 1 ? model.inputs[0] : undefined;
  const dims = input && input.dims.length === 4 ? input.dims : undefined;
  const nchw = dims?.[1] === 3;
  const nhwc = dims?.[3] === 3;
  if (!input || !dims || (!nchw && !nhwc) || (input.type !== 'float32' && input.type !== 'uint8')) {
    notes.push({ code: 'notImageInput' });
    return report;
  }
  const rawHeight = nchw ? dims[2] : dims[1];
  const rawWidth = nchw ? dims[3] : dims[2];
  const height = typeof rawHeight === 'number' && rawHeight > 0 ? rawHeight : undefined;
  const width = typeof rawWidth === 'number' && rawWidth > 0 ? rawWidth : undefined;
  if (!width || !height) notes.push({ code: 'dynamicInput' });
  const geometry = { width, height, layout: nchw ? 'nchw' as const : 'nhwc' as const, dtype: input.type as 'float32' | 'uint8' };

  const names = model.metadata.names ? parseUltralyticsNames(model.metadata.names) : undefined;
  if (names) {
    report.labels = { source: 'metadata', count: names.length };
    notes.push({ code: 'labelsMetadata', params: { count: names.length } });
  }
  recogniseLayout(report, width, height, names?.length);
  // A dynamic size keeps what the layout proposed (a TF detector's 300x300).
  report.preprocess = { ...report.preprocess, ...geometry, width: width ?? report.preprocess.width, height: height ?? report.preprocess.height };
  if (input.type === 'uint8') {
    report.preprocess.normalize = 'raw';
    notes.push({ code: 'uint8Input' });
  }
  return report;
}

function recogniseLayout(report: DoctorReport, width: number | undefined, height: number | undefined, labelCount: number | undefined): void {
  const { outputs, notes } = report;
  const names = outputs.map((o) => o.name);
  const shapes = outputs.map((o) => numeric(o.dims));
  const ultralyticsTask = report.metadata.task;
  if (ultralyticsTask && !['detect', 'classify', 'pose'].includes(ultralyticsTask)) {
    notes.push({ code: 'ultralyticsTask', params: { task: ultralyticsTask } });
  }
  const keypointShape = /^\s*\[\s*(\d+)\s*,\s*3\s*\]\s*$/.exec(report.metadata.kpt_shape ?? '');
  if (ultralyticsTask === 'pose' && keypointShape) report.keypoints = Number(keypointShape[1]);

  if (names.some((n) => /^cls_8$/.test(n)) && names.some((n) => /^kps_8$/.test(n))) {
    report.classes = 1;
    return detector(report, 'yunet', { code: 'yunet' }, base({ resize: 'stretch', channels: 'bgr', normalize: 'raw' }));
  }
  const tf = tfDetectionRoles(outputs);
  if (tf) {
    return detector(report, 'tf-detection', { code: 'tfDetection', params: tf },
      base({ resize: 'stretch', normalize: 'raw', ...(!width || !height ? { width: 300, height: 300 } : {}) }));
  }
  if (outputs.length === 4 && shapes.every(Boolean)) {
    const anchors = shapes[0]![1] + shapes[1]![1];
    if (shapes[2]![2] === 16 && shapes[3]![2] === 16 && shapes[0]![2] === 1) {
      report.classes = 1;
      // MediaPipe fits the frame into the square input keeping its aspect, with black borders.
      return detector(report, 'blazeface', { code: 'blazeface', params: { anchors } }, base({ resize: 'letterbox', padValue: 0, normalize: 'signed' }));
    }
  }
  if (outputs.length === 2 && shapes[0] && shapes[1]) {
    const [a, b] = shapes as [number[], number[]];
    const boxesFirst = a[a.length - 1] === 4;
    const [boxes, scores] = boxesFirst ? [a, b] : [b, a];
    const [boxesName, scoresName] = boxesFirst ? [names[0], names[1]] : [names[1], names[0]];
    if (boxes[boxes.length - 1] === 4 && boxes.length === scores.length && boxes[boxes.length - 2] === scores[scores.length - 2]) {
      const anchors = boxes[boxes.length - 2];
      report.classes = scores[scores.length - 1];
      return detector(report, 'boxes-scores', { code: 'boxesScores', params: { scores: scoresName, boxes: boxesName, anchors } },
        base({ resize: 'stretch', normalize: 'custom', mean: [127, 127, 127], std: [128, 128, 128] }));
    }
  }
  const only = outputs.length === 1 ? outputs[0].dims : undefined;
  const last = only?.[only.length - 1];
  if (only && last === 3 && only[only.length - 2] === 17 && only.length === 4) {
    return detector(report, 'movenet', { code: 'movenet', params: { people: 'one person' } }, MOVENET_PREPROCESS);
  }
  if (only && only.length === 3 && last === MOVENET_MULTI_VALUES && typeof only[1] === 'number' && only[1] <= 20) {
    return detector(report, 'movenet', { code: 'movenet', params: { people: `up to ${only[1]} people` } }, MOVENET_PREPROCESS);
  }
  // NMS in the graph: the metadata says so (Ultralytics), or [K, 7] rows, whose K is often dynamic.
  if (only && (last === 6 || last === 7) && (report.metadata.end2end === 'True' || (last === 7 && only.length === 2))) {
    return detector(report, 'end-to-end', { code: 'endToEnd', params: { values: last } }, base({}));
  }
  if (outputs.length !== 1 || !shapes[0]) {
    notes.push({ code: 'unknownLayout' });
    return;
  }
  const shape = shapes[0].length === 3 && shapes[0][0] === 1 ? shapes[0].slice(1) : shapes[0].length === 2 && shapes[0][0] === 1 ? [shapes[0][1]] : shapes[0];
  if (shape.length === 1) return classification(report, shape[0]);
  if (shape.length !== 2) {
    notes.push({ code: 'unknownLayout' });
    return;
  }
  detection(report, shape[0], shape[1], width, height, labelCount);
}

function detection(report: DoctorReport, outputRows: number, outputColumns: number, width: number | undefined, height: number | undefined, labelCount: number | undefined): void {
  const ultralytics = base({});
  // A pose model's keypoint values follow the classes; the rest reads like a detector.
  const pose = 3 * (report.keypoints ?? 0);
  const valuesFirst = pose && labelCount !== undefined ? outputRows - pose === 4 + labelCount : outputRows < outputColumns;
  const rows = valuesFirst ? outputRows - pose : outputRows;
  const columns = valuesFirst ? outputColumns : outputColumns - pose;
  const yolo = (version: 'v8' | 'v5', classes: number, code: DoctorNoteCode): void => {
    report.layout = version === 'v8' ? 'ultralytics-v8' : 'ultralytics-v5';
    report.task = 'detection';
    report.yoloLayout = version;
    report.classes = classes;
    report.preprocess = ultralytics;
    report.notes.push({ code, params: { version: version === 'v8' ? 'v8/v11' : 'v5', classes } });
    if (report.keypoints) report.notes.push({ code: 'ultralyticsPose', params: { keypoints: report.keypoints } });
  };
  const cells = width && height ? gridCells(width, height) : undefined;
  // Finished detections, K of them (300 for YOLOv10), on rows no grid of this input explains.
  const onGrid = cells === undefined || rows === cells || rows === 3 * cells || columns === cells;
  if (!onGrid && columns === 6 && rows <= 1000 && !pose) {
    return detector(report, 'end-to-end', { code: 'endToEnd', params: { values: columns } }, ultralytics);
  }
  if (labelCount !== undefined) {
    if (rows === 4 + labelCount) return yolo('v8', labelCount, 'ultralytics');
    if (columns === 5 + labelCount) return yolo('v5', labelCount, 'ultralytics');
    if (columns === 4 + labelCount) {
      // Transposed v8 export: the decoder tells it from v5 by the label count.
      yolo('v8', labelCount, 'ultralytics');
      report.yoloLayout = 'auto';
      return;
    }
  }
  if (cells && rows === cells && columns >= 6) {
    report.classes = columns - 5;
    report.yoloLayout = 'yolox';
    return detector(report, 'yolox', { code: 'yolox', params: { anchors: rows, classes: columns - 5 } },
      base({ align: 'topleft', channels: 'bgr', normalize: 'raw' }));
  }
  if (cells && columns === cells && rows >= 5) return yolo('v8', rows - 4, 'ultralytics');
  if (cells && rows === 3 * cells && columns >= 6) return yolo('v5', columns - 5, 'ultralytics');
  if (rows < columns && rows >= 5) return yolo('v8', rows - 4, 'yoloGuess');
  if (columns >= 6) return yolo('v5', columns - 5, 'yoloGuess');
  report.notes.push({ code: 'unknownLayout' });
}

function classification(report: DoctorReport, classes: number): void {
  report.layout = 'classification';
  report.task = 'classification';
  report.classes = classes;
  report.notes.push({ code: 'classification', params: { classes } });
  if (classes === 1000 || classes === 1001) report.notes.push({ code: 'imagenet', params: { classes } });
  const fromMetadata = normalizationFromText(report.metadata.input_normalization);
  if (fromMetadata) {
    const { mean, std } = fromMetadata;
    report.preprocess = base({ resize: 'crop', normalize: 'custom', mean: [mean, mean, mean], std: [std, std, std] });
    report.notes.push({ code: 'normalizationFromMetadata', params: { mean, std } });
  } else {
    report.preprocess = base({ resize: 'crop', normalize: 'imagenet' });
    report.notes.push({ code: 'normalizationGuess' });
  }
}

const MOVENET_MULTI_VALUES = 56;
// MoveNet pads the frame to a square and takes pixel values as they are.
const MOVENET_PREPROCESS = base({ resize: 'letterbox', padValue: 0, normalize: 'raw' });

/** TF Object Detection output names, by name (tf2onnx keeps them), or by shape in TFLite order. */
function tfDetectionRoles(outputs: readonly TensorInfo[]): { boxes: string; classes: string; scores: string; count?: string } | undefined {
  const named = (role: string): string | undefined => outputs.find((o) => new RegExp(`(^|[/:])${role}(:0)?$`).test(o.name))?.name;
  const [boxes, classes, scores, count] = ['detection_boxes', 'detection_classes', 'detection_scores', 'num_detections'].map(named);
  if (boxes && classes && scores) return { boxes, classes, scores, ...(count ? { count } : {}) };
  if (outputs.length !== 4) return undefined;
  const [b, c, s, n] = outputs.map((o) => o.dims);
  const fits = b.length === 3 && b[2] === 4 && c.length === 2 && s.length === 2 && n.length === 1 && b[1] === c[1] && c[1] === s[1];
  return fits ? { boxes: outputs[0].name, classes: outputs[1].name, scores: outputs[2].name, count: outputs[3].name } : undefined;
}

/** A detection layout with a decoder of its own (not Ultralytics'). */
function detector(report: DoctorReport, layout: ModelLayout, note: DoctorNote, preprocess: SuggestedPreprocess): void {
  report.layout = layout;
  report.task = 'detection';
  report.preprocess = preprocess;
  report.notes.push(note);
}
