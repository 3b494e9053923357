// The detectors' shared options and the YOLO family's outputs (Ultralytics v8/v11 and v5 layouts,
// pose keypoints): candidates above the class thresholds, then NMS, boxes in model pixels.
import { EdgeAiError } from '../errors';
import type { Box } from '../image';
import { labelFor } from './classification';
import { nonMaxSuppression } from './nms';
import { COCO_KEYPOINTS } from './keypoints';
import type { Detection, Point } from './results';

/** The decoder chosen on the model node: the doctor's ('auto') or a single-output layout by hand. */
export type YoloLayout = 'auto' | 'v8' | 'v5' | 'yolox' | 'end-to-end' | 'movenet';

/** A model output as the decoders read it: float32 values and their dims. */
export interface FloatOutput {
  data: Float32Array;
  dims: readonly number[];
}

export interface YoloOptions {
  layout: YoloLayout;
  confidence: number;
  iou: number;
  maxDetections: number;
  classAgnostic: boolean;
  /** Only these labels are kept (empty or missing: all). */
  classes?: string[];
  /** A score threshold per label, in place of `confidence` for that label. */
  classThresholds?: Record<string, number>;
}

/** The infer node's class settings: "person, car" and "person: 0.6, car: 0.4". */
export function classSettings(classesText: unknown, thresholdsText: unknown): Pick<YoloOptions, 'classes' | 'classThresholds'> {
  const items = (text: unknown): string[] => String(text ?? '').split(',').map((item) => item.trim()).filter(Boolean);
  const classThresholds: Record<string, number> = {};
  for (const item of items(thresholdsText)) {
    const colon = item.lastIndexOf(':');
    const label = item.slice(0, colon).trim();
    const score = Number(item.slice(colon + 1));
    if (colon < 1 || !label || !(score >= 0 && score <= 1) || item.slice(colon + 1).trim() === '') {
      throw new EdgeAiError('badSetting', { name: 'classThresholds', expected: 'comma-separated label: score pairs with scores from 0 to 1, like "person: 0.6, car: 0.4"', received: JSON.stringify(item) });
    }
    classThresholds[label] = score;
  }
  return { classes: items(classesText), classThresholds };
}

/**
 * Which candidates a detector keeps: the score floor to test first (the lowest threshold in
 * play), and the full test by class. Labels are matched by name, or by "class N" without labels.
 */
export function classFilter(options: Omit<YoloOptions, 'layout'>, labels: readonly string[] | undefined, classCount: number): { floor: number; keep(classId: number, score: number): boolean } {
  const allowed = options.classes?.length ? new Set(options.classes) : undefined;
  const thresholds = options.classThresholds ?? {};
  const perClass = Array.from({ length: classCount }, (_, c) => {
    const label = labelFor(labels, c);
    return allowed && !allowed.has(label) ? Infinity : thresholds[label] ?? options.confidence;
  });
  const floor = Math.min(options.confidence, ...Object.values(thresholds));
  return { floor, keep: (classId, score) => score >= perClass[classId] };
}

/** How one output tensor is read: anchors as columns (v8) or rows (v5), with or without objectness. */
export interface YoloReading {
  anchors: number;
  classes: number;
  /** Distance between two values of one anchor, and between two anchors. */
  valueStride: number;
  anchorStride: number;
  objectness: boolean;
  /** Keypoints per anchor after the class scores (Ultralytics pose: x, y, visibility each). */
  keypoints: number;
}

/** Most candidates NMS looks at, best first (Ultralytics uses 30000 too). */
const MAX_NMS_CANDIDATES = 30000;

/**
 * Work out the layout of an Ultralytics-style output:
 * v8/v11 `[1, 4+C, N]` (no objectness), v5 `[1, N, 5+C]`, and the transposed v8 export
 * `[1, N, 4+C]` when the label count tells it apart from v5. A pose model adds 3 values per
 * keypoint after the classes (`[1, 4+C+3K, N]`).
 */
export function readYoloLayout(dims: readonly number[], layout: YoloLayout, labelCount?: number, keypoints = 0): YoloReading {
  const shape = dims.length === 3 && dims[0] === 1 ? dims.slice(1) : dims.length === 2 ? dims : undefined;
  const fail = (reason: string): never => {
    throw new EdgeAiError('outputShape', { output: 'output', dims: dims.join(','), decoder: `YOLO ${layout}`, reason });
  };
  if (!shape) return fail('expected [1, 4+C, N] or [1, N, 5+C]');
  // Keypoint values are set aside first; what is left reads like a plain detector.
  const pose = 3 * keypoints;
  const [rows, columns] = shape;
  // With a label count the layout is certain; without, anchors outnumber values per anchor.
  const labelsSayChannelsFirst = labelCount !== undefined && rows - pose === 4 + labelCount;
  const labelsSayRows = labelCount !== undefined && (columns - pose === 5 + labelCount || columns - pose === 4 + labelCount);
  const channelsFirst = layout === 'v8' || (layout === 'auto' && (labelsSayChannelsFirst || (!labelsSayRows && rows < columns)));
  if (channelsFirst) {
    if (rows - pose < 5) fail('fewer than 5 values per anchor');
    return { anchors: columns, classes: rows - pose - 4, valueStride: columns, anchorStride: 1, objectness: false, keypoints };
  }
  const transposedV8 = layout === 'auto' && labelCount !== undefined && columns - pose === 4 + labelCount;
  const objectness = !transposedV8 && !keypoints;
  if (columns - pose < (objectness ? 6 : 5)) fail('too few values per anchor');
  return { anchors: rows, classes: columns - pose - (objectness ? 5 : 4), valueStride: 1, anchorStride: columns, objectness, keypoints };
}

/** Decode one YOLO output into detections in model-input pixels, after NMS. */
export function decodeYolo(data: Float32Array, reading: YoloReading, options: Omit<YoloOptions, 'layout'>, labels?: readonly string[]): Detection[] {
  const { anchors, classes, valueStride, anchorStride, objectness, keypoints } = reading;
  const firstClass = objectness ? 5 : 4;
  const firstKeypoint = firstClass + classes;
  const filter = classFilter(options, labels, classes);
  const candidates: Detection[] = [];
  for (let anchor = 0; anchor < anchors; anchor++) {
    const base = anchor * anchorStride;
    const objectScore = objectness ? data[base + 4 * valueStride] : 1;
    if (objectScore < filter.floor) continue;
    let bestClass = 0;
    let bestScore = -Infinity;
    for (let c = 0, at = base + firstClass * valueStride; c < classes; c++, at += valueStride) {
      if (data[at] > bestScore) {
        bestScore = data[at];
        bestClass = c;
      }
    }
    const score = bestScore * objectScore;
    if (score < filter.floor || !filter.keep(bestClass, score)) continue;
    const cx = data[base];
    const cy = data[base + valueStride];
    const w = data[base + 2 * valueStride];
    const h = data[base + 3 * valueStride];
    const candidate: Detection = { label: '', classId: bestClass, score, box: { x: cx - w / 2, y: cy - h / 2, w, h } };
    if (keypoints) candidate.points = readKeypoints(data, base + firstKeypoint * valueStride, valueStride, keypoints);
    candidates.push(candidate);
  }
  return keepBest(candidates, options, labels);
}

/** Ultralytics pose keypoints: x, y and a visibility score each, named when they are COCO's 17. */
function readKeypoints(data: Float32Array, start: number, valueStride: number, count: number): Point[] {
  const points: Point[] = [];
  for (let k = 0, at = start; k < count; k++, at += 3 * valueStride) {
    const point: Point = { x: data[at], y: data[at + valueStride], score: data[at + 2 * valueStride] };
    if (count === COCO_KEYPOINTS.length) point.name = COCO_KEYPOINTS[k];
    points.push(point);
  }
  return points;
}

/**
 * The end of every detector: NMS over the best candidates, then labels. `unlabelled` names
 * the one class of a single-class model (a face) when no labels were given.
 */
export function keepBest(candidates: Detection[], options: Omit<YoloOptions, 'layout'>, labels: readonly string[] | undefined, unlabelled?: string): Detection[] {
  const considered = candidates.length > MAX_NMS_CANDIDATES
    ? candidates.sort((a, b) => b.score - a.score).slice(0, MAX_NMS_CANDIDATES)
    : candidates;
  const kept = nonMaxSuppression(considered, options.iou, options.maxDetections, options.classAgnostic || unlabelled !== undefined);
  return labelled(kept, labels, unlabelled);
}

/** The end of a detector whose model ran NMS itself: best first, capped, labelled. */
export function keepFinished(candidates: Detection[], options: Pick<YoloOptions, 'maxDetections'>, labels: readonly string[] | undefined): Detection[] {
  return labelled(candidates.sort((a, b) => b.score - a.score).slice(0, options.maxDetections), labels);
}

function labelled(detections: Detection[], labels: readonly string[] | undefined, unlabelled?: string): Detection[] {
  for (const detection of detections) detection.label = unlabelled !== undefined && !labels?.length ? unlabelled : labelFor(labels, detection.classId);
  return detections;
}
