// A new input size for an Ultralytics YOLO export (detect and pose heads). The convolutions work
// at any size that divides by the largest stride, but the exported head keeps its anchor points,
// their strides and the anchor count in constants made for the export size (640 -> 8400 anchors).
// This rewrites those constants for the new size, so a 640 model runs at 320 (2100 anchors,
// about four times less work) without Python or a new export.
import { YOLO_STRIDES, gridCells } from '../model';
import { DATA_TYPE, OnnxGraph, attributeTensor, floatTensor, int64Tensor, tensorAttribute, tensorValueInfo, tensorValues, type Tensor } from '../onnx';

export interface InputSizeReport {
  bytes: Buffer;
  anchors: { from: number; to: number };
  /** Constants rewritten: anchor points, strides, and shapes holding the anchor count. */
  constants: number;
}

/** Anchor points (x row, then y row) and their strides, in the order Ultralytics' make_anchors lays them out. */
function anchorsFor(width: number, height: number): { points: Float32Array; strides: Float32Array } {
  const count = gridCells(width, height);
  const points = new Float32Array(2 * count);
  const strides = new Float32Array(count);
  let at = 0;
  for (const stride of YOLO_STRIDES) {
    for (let y = 0; y < Math.ceil(height / stride); y++) {
      for (let x = 0; x < Math.ceil(width / stride); x++) {
        points[at] = x + 0.5;
        points[count + at] = y + 0.5;
        strides[at++] = stride;
      }
    }
  }
  return { points, strides };
}

const sameValues = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => v === b[i]);

/** The rewritten constant, or undefined when this one has nothing to do with the anchors. */
function resized(tensor: Tensor, old: ReturnType<typeof anchorsFor>, next: ReturnType<typeof anchorsFor>, count: number, nextCount: number): Tensor | undefined {
  const values = tensorValues(tensor);
  if (tensor.dataType === DATA_TYPE.float32) {
    const swapCount = (dims: number[]): number[] => dims.map((d) => (d === count ? nextCount : d));
    if (sameValues(values, old.points)) return floatTensor(tensor.name, swapCount(tensor.dims), next.points);
    if (sameValues(values, old.strides)) return floatTensor(tensor.name, swapCount(tensor.dims), next.strides);
  }
  if (tensor.dataType === DATA_TYPE.int64 && tensor.dims.length === 1 && values.length <= 8 && Array.from(values).includes(count)) {
    return int64Tensor(tensor.name, tensor.dims, Array.from(values, (v) => (v === count ? nextCount : v)));
  }
  return undefined;
}

/** `bytes` at `width` x `height`; throws when the model is not an Ultralytics export this can resize. */
export function resizeYoloInput(bytes: Uint8Array, width: number, height: number): InputSizeReport {
  const largest = YOLO_STRIDES[YOLO_STRIDES.length - 1];
  if (!(width > 0 && height > 0 && width % largest === 0 && height % largest === 0)) {
    throw new Error(`the input size must be a multiple of ${largest} in both directions, not ${width}x${height}`);
  }
  const graph = OnnxGraph.read(bytes);
  const [input] = graph.inputs;
  const fixed = (d: number | string): d is number => typeof d === 'number' && d > 0;
  const dims = graph.inputs.length === 1 && input.dims.every(fixed) ? input.dims : undefined;
  if (!dims || dims.length !== 4 || dims[1] !== 3) {
    throw new Error(`expected one fixed NCHW image input, found ${graph.inputs.map((v) => `${v.name} [${v.dims}]`).join(', ')}`);
  }
  const [oldHeight, oldWidth] = [dims[2], dims[3]];
  const count = gridCells(oldWidth, oldHeight);
  const nextCount = gridCells(width, height);
  const [old, next] = [anchorsFor(oldWidth, oldHeight), anchorsFor(width, height)];
  let constants = 0;
  let anchorConstants = 0;
  const tally = (changed: Tensor): void => {
    constants++;
    if (changed.dataType === DATA_TYPE.float32) anchorConstants++;
  };
  for (const name of graph.initializerNames()) {
    const changed = resized(graph.initializer(name)!, old, next, count, nextCount);
    if (!changed) continue;
    graph.setInitializer(changed);
    tally(changed);
  }
  for (const node of graph.nodes) {
    const value = node.op === 'Constant' ? attributeTensor(node, 'value') : undefined;
    const changed = value && resized(value, old, next, count, nextCount);
    if (!changed) continue;
    node.attributes.set('value', tensorAttribute('value', changed));
    tally(changed);
  }
  if (!anchorConstants) {
    throw new Error(`no anchor constants for ${oldWidth}x${oldHeight} (${count} anchors) found: not an Ultralytics detect or pose export`);
  }
  graph.inputs = [tensorValueInfo(input.name, input.dataType, [1, 3, height, width])];
  graph.outputs = graph.outputs.map((o) => tensorValueInfo(o.name, o.dataType, o.dims.map((d) => (d === count ? nextCount : d))));
  // Shapes recorded for inner tensors describe the old size; onnxruntime works them out again.
  graph.dropValueInfo();
  if (graph.metadata('imgsz') !== undefined) graph.setMetadata('imgsz', `[${height}, ${width}]`);
  return { bytes: graph.encode(), anchors: { from: count, to: nextCount }, constants };
}
