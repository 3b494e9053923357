// SSD-style detectors with one output of per-anchor class scores [1, N, C] (class 0 is the
// background) and one of boxes [1, N, 4] as corners x1, y1, x2, y2 relative to the input
// (0..1), already decoded against the anchors, as UltraFace exports them.
import { EdgeAiError } from '../errors';
import { classFilter, keepBest, type Detection, type YoloOptions } from './yolo';

export interface ScoredBoxes {
  scores: { data: Float32Array; dims: readonly number[] };
  boxes: { data: Float32Array; dims: readonly number[] };
}

export function decodeBoxesScores(outputs: ScoredBoxes, inputWidth: number, inputHeight: number, options: Omit<YoloOptions, 'layout'>, labels?: readonly string[]): Detection[] {
  const { scores, boxes } = outputs;
  const classes = scores.dims[scores.dims.length - 1];
  const anchors = scores.data.length / classes;
  if (boxes.data.length !== anchors * 4 || classes < 2) {
    throw new EdgeAiError('outputShape', {
      output: 'boxes', dims: `${boxes.dims.join(',')} and ${scores.dims.join(',')}`, decoder: 'boxes + scores',
      reason: 'expected boxes [1, N, 4] and scores [1, N, C] with C >= 2 (background first)',
    });
  }
  const filter = classFilter(options, labels, classes);
  const candidates: Detection[] = [];
  for (let anchor = 0; anchor < anchors; anchor++) {
    let bestClass = 1;
    let bestScore = -Infinity;
    for (let c = 1; c < classes; c++) {
      const score = scores.data[anchor * classes + c];
      if (score > bestScore) {
        bestScore = score;
        bestClass = c;
      }
    }
    if (bestScore < filter.floor || !filter.keep(bestClass, bestScore)) continue;
    const at = anchor * 4;
    const x1 = boxes.data[at] * inputWidth;
    const y1 = boxes.data[at + 1] * inputHeight;
    const x2 = boxes.data[at + 2] * inputWidth;
    const y2 = boxes.data[at + 3] * inputHeight;
    candidates.push({ label: '', classId: bestClass, score: bestScore, box: { x: x1, y: y1, w: x2 - x1, h: y2 - y1 } });
  }
  return keepBest(candidates, options, labels);
}
