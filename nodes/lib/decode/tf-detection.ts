// TensorFlow Object Detection API exports (SSD MobileNet, EfficientDet, Faster R-CNN through
// tf2onnx): boxes [1, N, 4] as ymin, xmin, ymax, xmax relative to the input, classes [1, N]
// as label-map ids (1 is the first class), scores [1, N] best first and num_detections [1].
import { EdgeAiError } from '../errors';
import { boxFromCorners } from '../image';
import { classFilter, keepFinished, type YoloOptions, type FloatOutput } from './yolo';
import type { Detection } from './results';

export interface TfDetectionOutputs {
  boxes: FloatOutput;
  classes: FloatOutput;
  scores: FloatOutput;
  count?: FloatOutput;
}

/** Labels that stand for "no class" when a label list starts with one. */
const BACKGROUND = /^(background|__background__|\?\?\?|unlabeled|n\/a)$/i;

/**
 * Where a label-map id sits in the labels: a list that starts with a background entry is
 * indexed by id, one that starts with the first class (a 90-line COCO map) by id - 1.
 */
export function labelIndexOffset(labels: readonly string[] | undefined): number {
  return labels?.length && BACKGROUND.test(labels[0]) ? 0 : 1;
}

export function decodeTfDetection(outputs: TfDetectionOutputs, inputWidth: number, inputHeight: number, options: Omit<YoloOptions, 'layout'>, labels?: readonly string[]): Detection[] {
  const { boxes, classes, scores, count } = outputs;
  const rows = scores.data.length;
  if (boxes.data.length !== rows * 4 || classes.data.length !== rows) {
    throw new EdgeAiError('outputShape', {
      output: 'detection_boxes', dims: `${boxes.dims.join(',')}, ${classes.dims.join(',')} and ${scores.dims.join(',')}`, decoder: 'TF Object Detection',
      reason: 'expected boxes [1, N, 4], classes [1, N] and scores [1, N]',
    });
  }
  const valid = count && count.data.length ? Math.min(rows, Math.max(0, Math.round(count.data[0]))) : rows;
  const offset = labelIndexOffset(labels);
  let classCount = labels?.length ?? 0;
  for (let row = 0; row < valid; row++) classCount = Math.max(classCount, Math.round(classes.data[row]) - offset + 1);
  const filter = classFilter(options, labels, classCount);
  const candidates: Detection[] = [];
  for (let row = 0; row < valid; row++) {
    const score = scores.data[row];
    const classId = Math.round(classes.data[row]) - offset;
    if (score < filter.floor || classId < 0 || !filter.keep(classId, score)) continue;
    const [y1, x1, y2, x2] = boxes.data.subarray(row * 4, row * 4 + 4);
    candidates.push({ label: '', classId, score, box: boxFromCorners(x1 * inputWidth, y1 * inputHeight, x2 * inputWidth, y2 * inputHeight) });
  }
  // The export ran NMS already.
  return keepFinished(candidates, options, labels);
}
