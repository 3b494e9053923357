// BlazeFace (MediaPipe) faces: two pairs of outputs, scores [1, N, 1] (logits) and regressors
// [1, N, 16], for a fine grid with 2 anchors per cell and a coarse grid with 6. Each regressor
// holds the box centre offset and size and six landmarks (eyes, nose, mouth, ear tragions),
// all in input pixels relative to an anchor centre; MediaPipe's anchors have a fixed unit size.
import { EdgeAiError } from '../errors';
import { classFilter, keepBest, type YoloOptions, type FloatOutput } from './yolo';
import type { Detection } from './results';

/** Anchors per grid cell of the fine and the coarse grid, as MediaPipe's SSD anchor settings give them. */
const ANCHORS_PER_CELL = [2, 6];
const VALUES = 16;
const LANDMARKS = 6;

/** Anchor centres (0..1) of a grid with `perCell` anchors per cell, row by row. */
function gridAnchors(count: number, perCell: number): Array<{ x: number; y: number }> {
  const side = Math.round(Math.sqrt(count / perCell));
  if (side * side * perCell !== count) return [];
  const anchors = [];
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      for (let a = 0; a < perCell; a++) anchors.push({ x: (x + 0.5) / side, y: (y + 0.5) / side });
    }
  }
  return anchors;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, v))));

/** Decode; `scores` and `regressors` each hold the fine grid's output first, then the coarse one. */
export function decodeBlazeFace(scores: FloatOutput[], regressors: FloatOutput[], inputWidth: number, inputHeight: number, options: Omit<YoloOptions, 'layout'>, labels?: readonly string[]): Detection[] {
  const filter = classFilter(options, labels, 1);
  const candidates: Detection[] = [];
  scores.forEach((score, grid) => {
    const anchors = gridAnchors(score.data.length, ANCHORS_PER_CELL[grid]);
    const regressor = regressors[grid];
    if (!anchors.length || regressor?.data.length !== score.data.length * VALUES) {
      throw new EdgeAiError('outputShape', {
        output: `scores ${grid}`, dims: score.dims.join(','), decoder: 'BlazeFace',
        reason: `expected scores [1, N, 1] and regressors [1, N, 16] for a grid of ${ANCHORS_PER_CELL[grid]} anchors per cell`,
      });
    }
    anchors.forEach((anchor, i) => {
      const probability = sigmoid(score.data[i]);
      if (probability < filter.floor || !filter.keep(0, probability)) return;
      const r = regressor.data.subarray(i * VALUES, (i + 1) * VALUES);
      const cx = r[0] + anchor.x * inputWidth;
      const cy = r[1] + anchor.y * inputHeight;
      const points = [];
      for (let k = 0; k < LANDMARKS; k++) points.push({ x: r[4 + 2 * k] + anchor.x * inputWidth, y: r[5 + 2 * k] + anchor.y * inputHeight });
      candidates.push({ label: '', classId: 0, score: probability, box: { x: cx - r[2] / 2, y: cy - r[3] / 2, w: r[2], h: r[3] }, points });
    });
  });
  return keepBest(candidates, options, labels, 'face');
}
