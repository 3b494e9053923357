// Detectors with NMS inside the graph: Ultralytics `nms=True` and YOLOv10-style end-to-end
// exports `[1, K, 6]` (x1, y1, x2, y2, score, class), and ONNX NonMaxSuppression exports
// such as YOLOv7's `[K, 7]` (batch, x1, y1, x2, y2, class, score). Rows past the real
// detections are padding with score 0. Corners are input pixels, or 0..1 when every one is.
import { EdgeAiError } from '../errors';
import { boxFromCorners } from '../image';
import { classFilter, keepFinished, type YoloOptions, type FloatOutput } from './yolo';
import type { Detection } from './results';

export function decodeEndToEnd(output: FloatOutput, inputWidth: number, inputHeight: number, options: Omit<YoloOptions, 'layout'>, labels?: readonly string[]): Detection[] {
  const { data, dims } = output;
  const values = dims[dims.length - 1];
  if ((values !== 6 && values !== 7) || dims.length < 2 || dims.length > 3 || (dims.length === 3 && dims[0] !== 1)) {
    throw new EdgeAiError('outputShape', {
      output: 'output', dims: dims.join(','), decoder: 'NMS in the model',
      reason: 'expected [1, K, 6] as x1, y1, x2, y2, score, class or [K, 7] as batch, x1, y1, x2, y2, class, score',
    });
  }
  const withBatch = values === 7;
  const corner = withBatch ? 1 : 0;
  const [classAt, scoreAt] = withBatch ? [5, 6] : [5, 4];
  const rows = data.length / values;
  let classCount = labels?.length ?? 0;
  for (let row = 0; row < rows; row++) classCount = Math.max(classCount, Math.round(data[row * values + classAt]) + 1);
  const filter = classFilter(options, labels, classCount);
  const candidates: Detection[] = [];
  let relative = true;
  for (let row = 0, at = 0; row < rows; row++, at += values) {
    // Only one image is fed, so batch rows other than 0 cannot be ours.
    if (withBatch && data[at] !== 0) continue;
    const score = data[at + scoreAt];
    const classId = Math.round(data[at + classAt]);
    if (score < filter.floor || classId < 0 || !filter.keep(classId, score)) continue;
    const [x1, y1, x2, y2] = [data[at + corner], data[at + corner + 1], data[at + corner + 2], data[at + corner + 3]];
    if (x2 > 1.001 || y2 > 1.001) relative = false;
    candidates.push({ label: '', classId, score, box: boxFromCorners(x1, y1, x2, y2) });
  }
  if (relative) {
    for (const { box } of candidates) Object.assign(box, { x: box.x * inputWidth, y: box.y * inputHeight, w: box.w * inputWidth, h: box.h * inputHeight });
  }
  return keepFinished(candidates, options, labels);
}
