// YOLOX exported with its raw head (decode_in_inference off): [1, N, 5+C] where N is every grid
// cell over strides 8, 16 and 32, box values are offsets in cells and log sizes, and objectness
// and class scores are already probabilities. The grid decode turns it into a v5-style output.
import { EdgeAiError } from '../errors';
import type { YoloReading } from './yolo';

export const YOLOX_STRIDES = [8, 16, 32];

/** Decode boxes in place to centre x, y, width, height in model-input pixels. */
export function decodeYoloxGrid(data: Float32Array, dims: readonly number[], inputWidth: number, inputHeight: number): YoloReading {
  const [anchors, values] = dims.length === 3 ? [dims[1], dims[2]] : [dims[0], dims[1]];
  const expected = YOLOX_STRIDES.reduce((sum, s) => sum + Math.floor(inputWidth / s) * Math.floor(inputHeight / s), 0);
  if (anchors !== expected || values < 6) {
    throw new EdgeAiError('outputShape', {
      output: 'output', dims: dims.join(','), decoder: 'YOLOX',
      reason: `expected [1, ${expected}, 5+C]: one row per grid cell of a ${inputWidth}x${inputHeight} input over strides 8/16/32`,
    });
  }
  let row = 0;
  for (const stride of YOLOX_STRIDES) {
    const columns = Math.floor(inputWidth / stride);
    const rows = Math.floor(inputHeight / stride);
    for (let gy = 0; gy < rows; gy++) {
      for (let gx = 0; gx < columns; gx++, row++) {
        const at = row * values;
        data[at] = (data[at] + gx) * stride;
        data[at + 1] = (data[at + 1] + gy) * stride;
        data[at + 2] = Math.exp(data[at + 2]) * stride;
        data[at + 3] = Math.exp(data[at + 3]) * stride;
      }
    }
  }
  return { anchors, classes: values - 5, valueStride: 1, anchorStride: values, objectness: true, keypoints: 0 };
}
