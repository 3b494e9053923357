// YuNet (libfacedetection) faces: for each stride 8, 16, 32 a class score, an objectness,
// a box as cell offset and log size, and five landmarks (eyes, nose tip, mouth corners) as
// cell offsets. The face score is the geometric mean of class score and objectness.
import { EdgeAiError } from '../errors';
import { classFilter, keepBest, type YoloOptions, type FloatOutput } from './yolo';
import type { Detection } from './results';

export const YUNET_STRIDES = [8, 16, 32];

type Outputs = Record<string, FloatOutput | undefined>;

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

export function decodeYunet(outputs: Outputs, inputWidth: number, inputHeight: number, options: Omit<YoloOptions, 'layout'>, labels?: readonly string[]): Detection[] {
  const filter = classFilter(options, labels, 1);
  const candidates: Detection[] = [];
  for (const stride of YUNET_STRIDES) {
    const columns = Math.floor(inputWidth / stride);
    const cells = columns * Math.floor(inputHeight / stride);
    const [cls, obj, bbox, kps] = ['cls', 'obj', 'bbox', 'kps'].map((kind) => outputs[`${kind}_${stride}`]);
    if (!cls || !obj || !bbox || !kps || cls.data.length !== cells || obj.data.length !== cells || bbox.data.length !== cells * 4 || kps.data.length !== cells * 10) {
      throw new EdgeAiError('outputShape', {
        output: `cls_${stride}`, dims: cls ? cls.dims.join(',') : 'missing', decoder: 'YuNet',
        reason: `expected cls_${stride}, obj_${stride} [1, ${cells}, 1], bbox_${stride} [1, ${cells}, 4] and kps_${stride} [1, ${cells}, 10] for a ${inputWidth}x${inputHeight} input`,
      });
    }
    for (let cell = 0; cell < cells; cell++) {
      const score = Math.sqrt(clamp01(cls.data[cell]) * clamp01(obj.data[cell]));
      if (score < filter.floor || !filter.keep(0, score)) continue;
      const column = cell % columns;
      const row = (cell - column) / columns;
      const cx = (column + bbox.data[cell * 4]) * stride;
      const cy = (row + bbox.data[cell * 4 + 1]) * stride;
      const w = Math.exp(bbox.data[cell * 4 + 2]) * stride;
      const h = Math.exp(bbox.data[cell * 4 + 3]) * stride;
      const points = [];
      for (let k = 0; k < 5; k++) {
        points.push({ x: (column + kps.data[cell * 10 + 2 * k]) * stride, y: (row + kps.data[cell * 10 + 2 * k + 1]) * stride });
      }
      candidates.push({ label: '', classId: 0, score, box: { x: cx - w / 2, y: cy - h / 2, w, h }, points });
    }
  }
  return keepBest(candidates, options, labels, 'face');
}
