// MoveNet pose (TensorFlow): single-pose `[1, 1, 17, 3]` with y, x, score per keypoint, or
// multi-pose `[1, 6, 56]` with 17 keypoints then the person's box (ymin, xmin, ymax, xmax)
// and score. Coordinates are relative to the input (0..1).
import { EdgeAiError } from '../errors';
import { boxFromCorners } from '../image';
import { COCO_KEYPOINTS } from './keypoints';
import { classFilter, keepBest, type YoloOptions, type FloatOutput } from './yolo';
import type { Detection, Point } from './results';

const KEYPOINTS = COCO_KEYPOINTS.length;
const MULTI_VALUES = KEYPOINTS * 3 + 5;
/** Keypoints under this score are left out of a single-pose box. */
const BOX_KEYPOINT_SCORE = 0.2;

function keypointsAt(data: Float32Array, start: number, width: number, height: number): Point[] {
  const points: Point[] = [];
  for (let k = 0; k < KEYPOINTS; k++) {
    const at = start + k * 3;
    points.push({ x: data[at + 1] * width, y: data[at] * height, score: data[at + 2], name: COCO_KEYPOINTS[k] });
  }
  return points;
}

/** The box around the keypoints the model is fairly sure of (all of them when none is). */
function boxAround(points: readonly Point[]): Detection['box'] {
  const sure = points.filter((p) => (p.score ?? 0) >= BOX_KEYPOINT_SCORE);
  const used = sure.length ? sure : points;
  const xs = used.map((p) => p.x);
  const ys = used.map((p) => p.y);
  return boxFromCorners(Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys));
}

export function decodeMoveNet(output: FloatOutput, inputWidth: number, inputHeight: number, options: Omit<YoloOptions, 'layout'>, labels?: readonly string[]): Detection[] {
  const { data, dims } = output;
  const last = dims[dims.length - 1];
  const single = last === 3 && data.length === KEYPOINTS * 3;
  if (!single && (last !== MULTI_VALUES || data.length % MULTI_VALUES !== 0)) {
    throw new EdgeAiError('outputShape', {
      output: 'output', dims: dims.join(','), decoder: 'MoveNet',
      reason: `expected [1, 1, ${KEYPOINTS}, 3] (single pose) or [1, P, ${MULTI_VALUES}] (multi-pose)`,
    });
  }
  const filter = classFilter(options, labels, 1);
  const candidates: Detection[] = [];
  if (single) {
    const points = keypointsAt(data, 0, inputWidth, inputHeight);
    // Single-pose MoveNet always answers; the person score is its mean keypoint score.
    const score = points.reduce((sum, p) => sum + (p.score ?? 0), 0) / KEYPOINTS;
    if (score >= filter.floor && filter.keep(0, score)) candidates.push({ label: '', classId: 0, score, box: boxAround(points), points });
  } else {
    for (let at = 0; at < data.length; at += MULTI_VALUES) {
      const score = data[at + MULTI_VALUES - 1];
      if (score < filter.floor || !filter.keep(0, score)) continue;
      const [y1, x1, y2, x2] = data.subarray(at + KEYPOINTS * 3, at + KEYPOINTS * 3 + 4);
      candidates.push({
        label: '', classId: 0, score, points: keypointsAt(data, at, inputWidth, inputHeight),
        box: boxFromCorners(x1 * inputWidth, y1 * inputHeight, x2 * inputWidth, y2 * inputHeight),
      });
    }
  }
  return keepBest(candidates, options, labels, 'person');
}
