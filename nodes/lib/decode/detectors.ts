// One entry point for every detector: the model's float outputs by name, which decoder and
// which outputs play which part (worked out once, when the model loads), in; detections in
// source pixels out. The inference worker and the benchmark both decode through here.
import { EdgeAiError } from '../errors';
import { boxToSource, pointToSource, type Transform } from '../image';
import { decodeBlazeFace } from './blazeface';
import { decodeBoxesScores } from './boxes-scores';
import { decodeEndToEnd } from './end-to-end';
import { decodeMoveNet } from './movenet';
import { decodeTfDetection } from './tf-detection';
import { decodeYolo, readYoloLayout, type FloatOutput, type YoloLayout, type YoloOptions } from './yolo';
import type { Detection } from './results';
import { decodeYoloxGrid } from './yolox';
import { decodeYunet } from './yunet';

export type Detector = 'yolo' | 'yolox' | 'end-to-end' | 'boxes-scores' | 'tf-detection' | 'yunet' | 'blazeface' | 'movenet';

export interface DetectorSetup {
  detector: Detector;
  yoloLayout: YoloLayout;
  inputWidth: number;
  inputHeight: number;
  /** The output a YOLO-family, end-to-end or MoveNet decoder reads. */
  first: string;
  /** Ultralytics pose models: keypoints per detection. */
  keypoints?: number;
  /** SSD-style outputs. */
  scores?: string;
  boxes?: string;
  /** BlazeFace outputs, the fine grid first. */
  gridScores?: string[];
  gridRegressors?: string[];
  /** TF Object Detection outputs. */
  tf?: { boxes: string; classes: string; scores: string; count?: string };
}

/** Decode; YOLOX rewrites its output in place, so `outputs` must be this run's own memory. */
export function decodeDetections(
  outputs: Readonly<Record<string, FloatOutput>>, setup: DetectorSetup, options: Omit<YoloOptions, 'layout'>,
  labels: readonly string[] | undefined, transform?: Transform,
): Detection[] {
  const { detector } = setup;
  // A model with a dynamic input size takes the size preprocess made.
  const width = setup.inputWidth > 0 ? setup.inputWidth : transform?.width ?? 0;
  const height = setup.inputHeight > 0 ? setup.inputHeight : transform?.height ?? 0;
  const named = (name: string | undefined): FloatOutput => {
    const output = name === undefined ? undefined : outputs[name];
    if (!output) throw new EdgeAiError('outputShape', { output: String(name), dims: 'missing', decoder: detector, reason: 'the model has no float32 output of that name' });
    return output;
  };
  let detections: Detection[];
  if (detector === 'blazeface') {
    detections = decodeBlazeFace((setup.gridScores ?? []).map(named), (setup.gridRegressors ?? []).map(named), width, height, options, labels);
  } else if (detector === 'yunet') {
    detections = decodeYunet(outputs, width, height, options, labels);
  } else if (detector === 'boxes-scores') {
    detections = decodeBoxesScores({ scores: named(setup.scores), boxes: named(setup.boxes) }, width, height, options, labels);
  } else if (detector === 'tf-detection') {
    const roles = setup.tf;
    const count = roles?.count === undefined ? undefined : outputs[roles.count];
    detections = decodeTfDetection({ boxes: named(roles?.boxes), classes: named(roles?.classes), scores: named(roles?.scores), count }, width, height, options, labels);
  } else if (detector === 'end-to-end') {
    detections = decodeEndToEnd(named(setup.first), width, height, options, labels);
  } else if (detector === 'movenet') {
    detections = decodeMoveNet(named(setup.first), width, height, options, labels);
  } else {
    const { data, dims } = named(setup.first);
    const reading = detector === 'yolox' ? decodeYoloxGrid(data, dims, width, height) : readYoloLayout(dims, setup.yoloLayout, labels?.length, setup.keypoints);
    if (labels && labels.length !== reading.classes) throw new EdgeAiError('labelsCount', { source: 'configured', labels: labels.length, classes: reading.classes });
    detections = decodeYolo(data, reading, options, labels);
  }
  if (transform) {
    for (const d of detections) {
      d.box = boxToSource(d.box, transform);
      if (d.points) d.points = d.points.map((p) => ({ ...p, ...pointToSource(p.x, p.y, transform) }));
    }
  }
  return detections;
}
