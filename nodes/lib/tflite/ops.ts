// Each TensorFlow Lite builtin operator as ONNX nodes (opset 17). A converter reads its options
// (slots in schema.fbs's field order), takes its inputs from the importer in the layout it wants
// and defines its outputs; importer.ts adds the QDQ and layout changes around it.
import { Importer, TO_NCHW, UnsupportedOperator, onnxType, type Layout } from './importer';
import type { TfliteOperator } from './schema';
import { DATA_TYPE, floatAttribute, intAttribute, intsAttribute, stringAttribute } from '../onnx';

type Converter = (im: Importer, op: TfliteOperator) => void;

// Attribute builders, short: converters use them on nearly every line.
const [int, ints, float] = [intAttribute, intsAttribute, floatAttribute];

// ---- shared pieces ----

/** ActivationFunctionType applied to a real value. */
function activation(im: Importer, name: string, code: number, op: string): string {
  switch (code) {
    case 0: return name;
    case 1: return im.one('Relu', [name]);
    case 2: return im.one('Clip', [name, im.scalarFloat(-1), im.scalarFloat(1)]);
    case 3: return im.one('Clip', [name, im.scalarFloat(0), im.scalarFloat(6)]);
    case 4: return im.one('Tanh', [name]);
    case 5: return im.one('Sign', [name]);
    default: throw new UnsupportedOperator(op, `fused activation ${code} is unknown`);
  }
}

/** Explicit begin/end padding of one spatial axis, as TFLite computes SAME and VALID. */
function padding(same: boolean, size: number, kernel: number, stride: number, dilation: number): [number, number] {
  if (!same) return [0, 0];
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function spatialAttributes(im: Importer, op: TfliteOperator, kernel: [number, number], stride: [number, number], dilation: [number, number], same: boolean): Uint8Array[] {
  const [, height, width] = im.tensor(op.inputs[0]).shape;
  const [top, bottom] = padding(same, height, kernel[0], stride[0], dilation[0]);
  const [left, right] = padding(same, width, kernel[1], stride[1], dilation[1]);
  return [ints('kernel_shape', kernel), ints('strides', stride), ints('pads', [top, left, bottom, right])];
}

function requireRank(im: Importer, op: TfliteOperator, index: number, rank: number): void {
  const shape = im.tensor(index).shape;
  if (shape.length !== rank) throw new UnsupportedOperator(op.op, `takes a ${rank}-D tensor here, not shape [${shape}]`);
}

/** NHWC axis → the held value's axis in `layout` (negative axes count from the end). */
function axisIn(axis: number, rank: number, layout: Layout): number {
  const a = axis < 0 ? axis + rank : axis;
  return layout === 'nchw' && rank === 4 ? TO_NCHW.indexOf(a) : a;
}

function bias(im: Importer, op: TfliteOperator, at: number): string[] {
  const index = im.input(op, at);
  return index === undefined ? [] : [im.value(index)];
}

// ---- convolutions and pools ----

/** Where Conv2DOptions and DepthwiseConv2DOptions keep each setting (padding and strides share slots 0-2). */
const CONV_SLOTS = { conv: { dilation: [5, 4], fused: 3 }, depthwise: { dilation: [6, 5], fused: 4 } } as const;

/**
 * CONV_2D (weights OHWI, grouped when they hold fewer input channels than the input) and
 * DEPTHWISE_CONV_2D (weights 1HW(C*M), a group per input channel) as one ONNX Conv.
 */
const convolution = (kind: keyof typeof CONV_SLOTS): Converter => (im, op) => {
  const o = op.options;
  const slots = CONV_SLOTS[kind];
  const same = (o?.scalar(0, 'int8') ?? 0) === 0;
  const stride: [number, number] = [o?.scalar(2, 'int32', 1) || 1, o?.scalar(1, 'int32', 1) || 1];
  const dilation: [number, number] = [o?.scalar(slots.dilation[0], 'int32', 1) || 1, o?.scalar(slots.dilation[1], 'int32', 1) || 1];
  const [input, weights] = op.inputs;
  requireRank(im, op, input, 4);
  if (!im.isConstant(weights)) throw new UnsupportedOperator(op.op, 'has computed weights');
  const [, kh, kw, inPerGroup] = im.tensor(weights).shape;
  const channels = im.tensor(input).shape[3];
  const group = kind === 'depthwise' ? channels : channels / inPerGroup;
  if (!Number.isInteger(group)) throw new UnsupportedOperator(op.op, `weights of ${inPerGroup} input channels do not divide the input's ${channels}`);
  const weightsAndBias = im.weightsAndBias(weights, im.input(op, 2), kind === 'depthwise' ? [3, 0, 1, 2] : [0, 3, 1, 2], kind === 'depthwise' ? 3 : 0);
  const y = im.one('Conv', [im.value(input, 'nchw'), ...weightsAndBias], [
    ...spatialAttributes(im, op, [kh, kw], stride, dilation, same), ints('dilations', dilation), int('group', group),
  ]);
  im.define(op.outputs[0], activation(im, y, o?.scalar(slots.fused, 'int8') ?? 0, op.op), 'nchw');
};

const transposeConv: Converter = (im, op) => {
  const o = op.options;
  const same = (o?.scalar(0, 'int8') ?? 0) === 0;
  const stride = [o?.scalar(2, 'int32', 1) || 1, o?.scalar(1, 'int32', 1) || 1];
  const [, weights, input] = op.inputs;
  requireRank(im, op, input, 4);
  if (!im.isConstant(weights)) throw new UnsupportedOperator(op.op, 'has computed weights');
  const [, kh, kw] = im.tensor(weights).shape;
  const [, inH, inW] = im.tensor(input).shape;
  const [, outH, outW] = im.tensor(op.outputs[0]).shape;
  const pads: number[] = [];
  const extra: number[] = [];
  for (const [size, out, k, s] of [[inH, outH, kh, stride[0]], [inW, outW, kw, stride[1]]]) {
    const total = (size - 1) * s + k - out;
    const begin = same && total > 0 ? Math.floor(total / 2) : 0;
    pads.push(begin, Math.max(total, 0) - begin);
    extra.push(Math.max(-total, 0));
  }
  const y = im.one('ConvTranspose', [im.value(input, 'nchw'), im.constant(weights, [3, 0, 1, 2], true), ...bias(im, op, 3)], [
    ints('kernel_shape', [kh, kw]), ints('strides', stride), ints('pads', [pads[0], pads[2], pads[1], pads[3]]), ints('output_padding', extra),
  ]);
  im.define(op.outputs[0], activation(im, y, o?.scalar(3, 'int8') ?? 0, op.op), 'nchw');
};

const pool = (onnxOp: string): Converter => (im, op) => {
  const o = op.options;
  requireRank(im, op, op.inputs[0], 4);
  const same = (o?.scalar(0, 'int8') ?? 0) === 0;
  const stride: [number, number] = [o?.scalar(2, 'int32', 1) || 1, o?.scalar(1, 'int32', 1) || 1];
  const kernel: [number, number] = [o?.scalar(4, 'int32', 1) || 1, o?.scalar(3, 'int32', 1) || 1];
  const y = im.one(onnxOp, [im.value(op.inputs[0], 'nchw')], spatialAttributes(im, op, kernel, stride, [1, 1], same));
  im.define(op.outputs[0], activation(im, y, o?.scalar(5, 'int8') ?? 0, op.op), 'nchw');
};

const fullyConnected: Converter = (im, op) => {
  const o = op.options;
  const [input, weights] = op.inputs;
  if ((o?.scalar(1, 'int8') ?? 0) !== 0) throw new UnsupportedOperator(op.op, 'has shuffled weights');
  const depth = im.tensor(weights).shape[1];
  let x = im.value(input);
  if (im.tensor(input).shape.length !== 2) x = im.one('Reshape', [x, im.ints64([-1, depth])]);
  const w = im.isConstant(weights) ? im.constant(weights, [1, 0], true) : im.one('Transpose', [im.value(weights)], [ints('perm', [1, 0])]);
  let y = im.one('Gemm', [x, w, ...bias(im, op, 2)]);
  const outShape = im.tensor(op.outputs[0]).shape;
  if (outShape.length !== 2) y = im.one('Reshape', [y, im.ints64(outShape)]);
  im.define(op.outputs[0], activation(im, y, o?.scalar(0, 'int8') ?? 0, op.op), 'native');
};

// ---- elementwise ----

/** A binary operator with broadcasting; `fused` says which options slot holds a fused activation. */
const binary = (onnxOp: string | ((im: Importer, a: string, b: string) => string), fused?: number): Converter => (im, op) => {
  const out = op.outputs[0];
  const layout = im.preferredLayout(op.inputs, im.tensor(out).shape.length);
  const [a, b] = op.inputs.map((i) => im.broadcastValue(i, layout));
  let y = typeof onnxOp === 'string' ? im.one(onnxOp, [a, b]) : onnxOp(im, a, b);
  if (fused !== undefined) y = activation(im, y, op.options?.scalar(fused, 'int8') ?? 0, op.op);
  im.define(out, y, layout);
};

const unary = (make: (im: Importer, x: string, op: TfliteOperator) => string): Converter => (im, op) => {
  const out = op.outputs[0];
  const layout = im.preferredLayout([op.inputs[0]], im.tensor(out).shape.length);
  im.define(out, make(im, im.value(op.inputs[0], layout), op), layout);
};

const simple = (onnxOp: string): Converter => unary((im, x) => im.one(onnxOp, [x]));

const floorDiv = (im: Importer, a: string, b: string): string => {
  const y = im.one('Div', [a, b]);
  return im.one('Floor', [y]);
};

/** FLOOR_DIV: on integers through float32 (exact below 2^24), rounding towards minus infinity as TFLite does. */
const floorDivide: Converter = (im, op) => {
  const out = op.outputs[0];
  if (im.tensor(out).type === 'float32') return binary(floorDiv)(im, op);
  const [a, b] = op.inputs.map((i) => im.one('Cast', [im.value(i)], [int('to', DATA_TYPE.float32)]));
  im.define(out, im.one('Cast', [floorDiv(im, a, b)], [int('to', onnxType(im.tensor(out)))]), 'native');
};

const squaredDifference = (im: Importer, a: string, b: string): string => {
  const d = im.one('Sub', [a, b]);
  return im.one('Mul', [d, d]);
};

// ---- reductions ----

const reduce = (onnxOp: string): Converter => (im, op) => {
  const [input, axesTensor] = op.inputs;
  const rank = im.tensor(input).shape.length;
  const keep = (op.options?.scalar(0, 'bool') ?? 0) === 1;
  const axes = [...new Set(im.constantNumbers(axesTensor, op.op).map((a) => (a < 0 ? a + rank : a)))].sort();
  let layout: Layout = im.layoutOf(input) === 'nchw' && rank === 4 ? 'nchw' : 'native';
  // Without kept axes, the result's axes must come out in TFLite's order.
  if (layout === 'nchw' && !keep) {
    const left = TO_NCHW.filter((a) => !axes.includes(a));
    if (left.some((a, i) => i > 0 && a < left[i - 1])) layout = 'native';
  }
  const mapped = axes.map((a) => axisIn(a, rank, layout));
  const x = im.value(input, layout);
  let y: string;
  if (onnxOp === 'ReduceMean' && layout === 'nchw' && mapped.length === 2 && mapped.includes(2) && mapped.includes(3)) {
    // A global average pool: what onnxruntime has a fused int8 kernel for.
    y = im.one('GlobalAveragePool', [x]);
    if (!keep) y = im.one('Reshape', [y, im.ints64(im.tensor(op.outputs[0]).shape)]);
  } else if (onnxOp === 'ReduceSum') y = im.one(onnxOp, [x, im.ints64(mapped)], [int('keepdims', keep ? 1 : 0)]);
  else y = im.one(onnxOp, [x], [ints('axes', mapped), int('keepdims', keep ? 1 : 0)]);
  im.define(op.outputs[0], y, keep ? layout : 'native');
};

const argMax: Converter = (im, op) => {
  const [input, axisTensor] = op.inputs;
  const rank = im.tensor(input).shape.length;
  const [axis] = im.constantNumbers(axisTensor, op.op);
  const y = im.one('ArgMax', [im.value(input)], [int('axis', axis < 0 ? axis + rank : axis), int('keepdims', 0)]);
  im.define(op.outputs[0], im.one('Cast', [y], [int('to', onnxType(im.tensor(op.outputs[0])))]), 'native');
};

// ---- data movement (the integers of quantized tensors are moved as they are) ----

/** An operator that only moves elements: on the held integers when the quantization does not change. */
function moveData(im: Importer, op: TfliteOperator, inLayout: Layout, outLayout: Layout, make: (x: string) => string): void {
  const [input] = op.inputs;
  const out = op.outputs[0];
  if (im.sameQuantization(input, out)) im.hold(out, make(im.heldValue(input, inLayout)), outLayout);
  else im.define(out, make(im.value(input, inLayout)), outLayout);
}

const reshape: Converter = (im, op) => {
  const shape = im.tensor(op.outputs[0]).shape;
  moveData(im, op, 'native', 'native', (x) => im.one('Reshape', [x, im.ints64(shape)]));
};

const transpose: Converter = (im, op) => {
  const [input, permTensor] = op.inputs;
  const perm = im.constantNumbers(permTensor, op.op);
  const rank = perm.length;
  const inLayout: Layout = im.layoutOf(input) === 'nchw' && rank === 4 ? 'nchw' : 'native';
  // Held result axis i ← held input axis: compose the input's held layout, the op and the result's.
  const held = (layout: Layout): number[] => {
    const outAxes = layout === 'nchw' ? TO_NCHW : perm.map((_, i) => i);
    return outAxes.map((a) => axisIn(perm[a], rank, inLayout));
  };
  const candidates: Layout[] = rank === 4 ? ['nchw', 'native'] : ['native'];
  const identity = candidates.find((l) => held(l).every((p, i) => p === i));
  const outLayout = identity ?? candidates[0];
  moveData(im, op, inLayout, outLayout, (x) => im.transpose(x, held(outLayout)));
};

const concatenation: Converter = (im, op) => {
  const out = op.outputs[0];
  const rank = im.tensor(out).shape.length;
  const layout = im.preferredLayout(op.inputs, rank);
  const axis = axisIn(op.options?.scalar(0, 'int32') ?? 0, rank, layout);
  const y = im.one('Concat', op.inputs.map((i) => im.value(i, layout)), [int('axis', axis)]);
  im.define(out, activation(im, y, op.options?.scalar(1, 'int8') ?? 0, op.op), layout);
};

const pad: Converter = (im, op) => {
  const [input, padsTensor, valueTensor] = op.inputs;
  const rank = im.tensor(input).shape.length;
  const pads = im.constantNumbers(padsTensor, op.op);
  const layout: Layout = im.layoutOf(input) === 'nchw' && rank === 4 ? 'nchw' : 'native';
  const order = layout === 'nchw' ? TO_NCHW : pads.map((_, i) => i).slice(0, rank);
  const onnxPads = [...order.map((a) => pads[a * 2]), ...order.map((a) => pads[a * 2 + 1])];
  const value = valueTensor !== undefined && valueTensor >= 0 ? [im.value(valueTensor)] : [];
  im.define(op.outputs[0], im.one('Pad', [im.value(input, layout), im.ints64(onnxPads), ...value]), layout);
};

const resize = (mode: 'linear' | 'nearest'): Converter => (im, op) => {
  const [input, sizeTensor] = op.inputs;
  requireRank(im, op, input, 4);
  const [height, width] = im.constantNumbers(sizeTensor, op.op);
  const alignCorners = (op.options?.scalar(mode === 'linear' ? 2 : 0, 'bool') ?? 0) === 1;
  const halfPixel = (op.options?.scalar(mode === 'linear' ? 3 : 1, 'bool') ?? 0) === 1;
  const [batch, , , channels] = im.tensor(input).shape;
  const transform = alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric';
  const attrs = [stringAttribute('mode', mode), stringAttribute('coordinate_transformation_mode', transform)];
  // TFLite rounds nearest neighbours down without flags, and to the nearest (halves up) with either.
  if (mode === 'nearest') attrs.push(stringAttribute('nearest_mode', alignCorners || halfPixel ? 'round_prefer_ceil' : 'floor'));
  const y = im.one('Resize', [im.value(input, 'nchw'), '', '', im.ints64([batch, channels, height, width])], attrs);
  im.define(op.outputs[0], y, 'nchw');
};

const softmax: Converter = (im, op) => {
  const out = op.outputs[0];
  const rank = im.tensor(out).shape.length;
  const layout = im.preferredLayout([op.inputs[0]], rank);
  const beta = op.options?.scalar(0, 'float32', 1) ?? 1;
  let x = im.value(op.inputs[0], layout);
  if (beta !== 1) x = im.one('Mul', [x, im.scalarFloat(beta)]);
  im.define(out, im.one('Softmax', [x], [int('axis', axisIn(-1, rank, layout))]), layout);
};

const stridedSlice: Converter = (im, op) => {
  const [input, beginT, endT, stridesT] = op.inputs;
  const o = op.options;
  const [beginMask, endMask, ellipsisMask, newAxisMask, shrinkMask] = [0, 1, 2, 3, 4].map((s) => o?.scalar(s, 'int32') ?? 0);
  const offset = (o?.scalar(5, 'bool') ?? 0) === 1;
  if (ellipsisMask || newAxisMask) throw new UnsupportedOperator(op.op, 'uses an ellipsis or new-axis mask');
  const shape = im.tensor(input).shape;
  const rank = shape.length;
  const begin = im.constantNumbers(beginT, op.op);
  const end = im.constantNumbers(endT, op.op);
  const strides = stridesT === undefined ? begin.map(() => 1) : im.constantNumbers(stridesT, op.op);
  const layout: Layout = !shrinkMask && rank === 4 && im.layoutOf(input) === 'nchw' ? 'nchw' : 'native';
  const starts: number[] = [];
  const ends: number[] = [];
  const big = 2 ** 31 - 1;
  for (let i = 0; i < begin.length; i++) {
    const step = strides[i];
    let s = begin[i];
    let e = offset ? begin[i] + end[i] : end[i];
    if (beginMask & (1 << i)) s = step > 0 ? 0 : big;
    if (endMask & (1 << i)) e = step > 0 ? big : -big - 1;
    if (shrinkMask & (1 << i)) e = s === -1 ? big : s + 1;
    starts.push(s);
    ends.push(e);
  }
  const axes = begin.map((_, i) => axisIn(i, rank, layout));
  const shrunk = begin.map((_, i) => i).filter((i) => shrinkMask & (1 << i));
  moveData(im, op, layout, layout, (x) => {
    let y = im.one('Slice', [x, im.ints64(starts), im.ints64(ends), im.ints64(axes), im.ints64(strides)]);
    if (shrunk.length) y = im.one('Squeeze', [y, im.ints64(shrunk)]);
    return y;
  });
};

const slice: Converter = (im, op) => {
  const [input, beginT, sizeT] = op.inputs;
  const begin = im.constantNumbers(beginT, op.op);
  const size = im.constantNumbers(sizeT, op.op);
  const shape = im.tensor(input).shape;
  const rank = shape.length;
  const layout: Layout = rank === 4 && im.layoutOf(input) === 'nchw' ? 'nchw' : 'native';
  const ends = size.map((s, i) => (s < 0 ? shape[i] : begin[i] + s));
  const axes = begin.map((_, i) => axisIn(i, rank, layout));
  moveData(im, op, layout, layout, (x) => im.one('Slice', [x, im.ints64(begin), im.ints64(ends), im.ints64(axes)]));
};

const gather: Converter = (im, op) => {
  const [input, indices] = op.inputs;
  const rank = im.tensor(input).shape.length;
  if ((op.options?.scalar(1, 'int32') ?? 0) !== 0) throw new UnsupportedOperator(op.op, 'has batch_dims');
  const axis = op.options?.scalar(0, 'int32') ?? 0;
  moveData(im, op, 'native', 'native', (x) => im.one('Gather', [x, im.value(indices)], [int('axis', axis < 0 ? axis + rank : axis)]));
};

const gatherNd: Converter = (im, op) => {
  const [input, indices] = op.inputs;
  const index64 = im.one('Cast', [im.value(indices)], [int('to', DATA_TYPE.int64)]);
  moveData(im, op, 'native', 'native', (x) => im.one('GatherND', [x, index64]));
};

/** SPLIT and SPLIT_V: outputs of the sizes the file gives, along an axis that follows the layout. */
const split = (variant: 'split' | 'splitV'): Converter => (im, op) => {
  const [input, axisT] = variant === 'split' ? [op.inputs[1], op.inputs[0]] : [op.inputs[0], op.inputs[2]];
  const rank = im.tensor(input).shape.length;
  const [axis] = im.constantNumbers(axisT, op.op);
  const a = axis < 0 ? axis + rank : axis;
  const layout: Layout = rank === 4 && im.layoutOf(input) === 'nchw' ? 'nchw' : 'native';
  const sizes = op.outputs.map((o) => im.tensor(o).shape[a]);
  const sameForAll = op.outputs.every((o) => im.sameQuantization(input, o));
  const x = sameForAll ? im.heldValue(input, layout) : im.value(input, layout);
  const parts = im.node('Split', [x, im.ints64(sizes)], [int('axis', axisIn(a, rank, layout))], op.outputs.length);
  op.outputs.forEach((o, i) => (sameForAll ? im.hold(o, parts[i], layout) : im.define(o, parts[i], layout)));
};

const pack: Converter = (im, op) => {
  const out = op.outputs[0];
  const rank = im.tensor(out).shape.length;
  const axis = op.options?.scalar(1, 'int32') ?? 0;
  const a = axis < 0 ? axis + rank : axis;
  const parts = op.inputs.map((i) => im.one('Unsqueeze', [im.value(i), im.ints64([a])]));
  im.define(out, im.one('Concat', parts, [int('axis', a)]), 'native');
};

const unpack: Converter = (im, op) => {
  const input = op.inputs[0];
  const rank = im.tensor(input).shape.length;
  const axis = op.options?.scalar(1, 'int32') ?? 0;
  const a = axis < 0 ? axis + rank : axis;
  const parts = im.node('Split', [im.value(input), im.ints64(op.outputs.map(() => 1))], [int('axis', a)], op.outputs.length);
  op.outputs.forEach((o, i) => im.define(o, im.one('Squeeze', [parts[i], im.ints64([a])]), 'native'));
};

const cast: Converter = (im, op) => {
  const out = op.outputs[0];
  const layout = im.preferredLayout([op.inputs[0]], im.tensor(out).shape.length);
  im.define(out, im.one('Cast', [im.value(op.inputs[0], layout)], [int('to', onnxType(im.tensor(out)))]), layout);
};

/** QUANTIZE and DEQUANTIZE: the real values pass; the importer quantizes what the output says. */
const requantize: Converter = (im, op) => {
  const out = op.outputs[0];
  const layout = im.preferredLayout([op.inputs[0]], im.tensor(out).shape.length);
  im.define(out, im.value(op.inputs[0], layout), layout);
};

const prelu: Converter = (im, op) => {
  const out = op.outputs[0];
  const layout = im.preferredLayout([op.inputs[0]], im.tensor(out).shape.length);
  im.define(out, im.one('PRelu', [im.value(op.inputs[0], layout), im.broadcastValue(op.inputs[1], layout)]), layout);
};

export const CONVERTERS: Record<string, Converter> = {
  CONV_2D: convolution('conv'),
  DEPTHWISE_CONV_2D: convolution('depthwise'),
  TRANSPOSE_CONV: transposeConv,
  FULLY_CONNECTED: fullyConnected,
  AVERAGE_POOL_2D: pool('AveragePool'),
  MAX_POOL_2D: pool('MaxPool'),
  ADD: binary('Add', 0),
  SUB: binary('Sub', 0),
  MUL: binary('Mul', 0),
  DIV: binary('Div', 0),
  MAXIMUM: binary('Max'),
  MINIMUM: binary('Min'),
  POW: binary('Pow'),
  SQUARED_DIFFERENCE: binary(squaredDifference),
  FLOOR_DIV: floorDivide,
  RSQRT: unary((im, x) => im.one('Reciprocal', [im.one('Sqrt', [x])])),
  SQUARE: unary((im, x) => im.one('Mul', [x, x])),
  MEAN: reduce('ReduceMean'),
  SUM: reduce('ReduceSum'),
  REDUCE_MAX: reduce('ReduceMax'),
  REDUCE_MIN: reduce('ReduceMin'),
  ARG_MAX: argMax,
  RESHAPE: reshape,
  SQUEEZE: reshape,
  EXPAND_DIMS: reshape,
  TRANSPOSE: transpose,
  CONCATENATION: concatenation,
  PAD: pad,
  PADV2: pad,
  RESIZE_BILINEAR: resize('linear'),
  RESIZE_NEAREST_NEIGHBOR: resize('nearest'),
  SOFTMAX: softmax,
  LOGISTIC: simple('Sigmoid'),
  TANH: simple('Tanh'),
  RELU: simple('Relu'),
  RELU6: unary((im, x) => im.one('Clip', [x, im.scalarFloat(0), im.scalarFloat(6)])),
  RELU_N1_TO_1: unary((im, x) => im.one('Clip', [x, im.scalarFloat(-1), im.scalarFloat(1)])),
  LEAKY_RELU: unary((im, x, op) => im.one('LeakyRelu', [x], [float('alpha', op.options?.scalar(0, 'float32') ?? 0.2)])),
  HARD_SWISH: simple('HardSwish'),
  PRELU: prelu,
  EXP: simple('Exp'),
  LOG: simple('Log'),
  SQRT: simple('Sqrt'),
  ABS: simple('Abs'),
  NEG: simple('Neg'),
  FLOOR: simple('Floor'),
  STRIDED_SLICE: stridedSlice,
  SLICE: slice,
  GATHER: gather,
  GATHER_ND: gatherNd,
  SPLIT: split('split'),
  SPLIT_V: split('splitV'),
  PACK: pack,
  UNPACK: unpack,
  CAST: cast,
  QUANTIZE: requantize,
  DEQUANTIZE: requantize,
};
