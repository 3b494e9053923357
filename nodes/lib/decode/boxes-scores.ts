// SSD-style detectors with one output of per-anchor class scores [1, N, C] (class 0 is the
// background) and one of boxes [1, N, 4] as corners x1, y1, x2, y2 relative to the input
// (0..1), already decoded against the anchors, as UltraFace exports them.
import { EdgeAiError } from '../errors';
import { boxFromCorners } from '../image';
import { classFilter, keepBest, type YoloOptions, type FloatOutput } from './yolo';
import type { Detection } from './results';

export interface ScoredBoxes {
  scores: FloatOutput;
  boxes: FloatOutput;
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
    const [x1, y1, x2, y2] = boxes.data.subarray(anchor * 4, anchor * 4 + 4);
    candidates.push({ label: '', classId: bestClass, score: bestScore, box: boxFromCorners(x1 * inputWidth, y1 * inputHeight, x2 * inputWidth, y2 * inputHeight) });
  }
  return keepBest(candidates, options, labels);
}
