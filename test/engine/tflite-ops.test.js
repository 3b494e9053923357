'use strict';
// TFLite operators one at a time, in tiny models built in code: each imported and run in
// onnxruntime, against values worked out here from TFLite's definition of the operator. Every
// 4-D case runs twice: on the input as fed (NHWC), and after a 1x1 identity convolution, so the
// importer holds it in NCHW and must move the operator's axes, pads and constants with it.
const assert = require('node:assert/strict');
const ort = require('onnxruntime-node');
const { buildTflite, floats } = require('../helpers/tflite-builder');
const { importTflite } = require('../../dist/lib/tflite');

const ints = (values) => Buffer.from(Int32Array.from(values).buffer);
const range = (n, from = 0, step = 1) => Array.from({ length: n }, (_, i) => from + i * step);
const count = (shape) => shape.reduce((a, b) => a * b, 1);

/** NHWC [1,H,W,C] values at (h, w, c). */
const at = (values, [, , W, C]) => (h, w, c) => values[(h * W + w) * C + c];

/**
 * @param {object} c {op, options?, input: {shape, values}, constants: [{shape, type, values}] (inputs after the
 *   first, in order; `first: true` puts one before it), output: {shape, type?}, outputs?: number (how many the op makes), pick?: index}
 */
function modelFor(c, throughConv) {
  const tensors = [{ name: 'x', type: 'float32', shape: c.input.shape }];
  let feed = 0;
  const operators = [];
  if (throughConv) {
    const channels = c.input.shape[3];
    const identity = range(channels * channels).map((i) => (Math.floor(i / channels) === i % channels ? 1 : 0));
    tensors.push({ name: 'eye', type: 'float32', shape: [channels, 1, 1, channels], data: floats(identity) });
    tensors.push({ name: 'held', type: 'float32', shape: c.input.shape });
    operators.push({ op: 'CONV_2D', inputs: [0, 1], outputs: [2], options: { type: 1, fields: [[0, 'int8', 1], [1, 'int32', 1], [2, 'int32', 1]] } });
    feed = 2;
  }
  const constantIndices = (c.constants ?? []).map((k) => {
    tensors.push({ name: `k${tensors.length}`, type: k.type ?? 'float32', shape: k.shape, data: k.type === 'int32' ? ints(k.values) : floats(k.values) });
    return tensors.length - 1;
  });
  const firstConstants = (c.constants ?? []).map((k, i) => (k.first ? constantIndices[i] : -2)).filter((i) => i !== -2);
  const laterConstants = (c.constants ?? []).map((k, i) => (k.first ? -2 : constantIndices[i])).filter((i) => i !== -2);
  const outputs = range(c.outputs ?? 1).map((i) => {
    tensors.push({ name: `y${i}`, type: c.output.type ?? 'float32', shape: c.outputShapes?.[i] ?? c.output.shape });
    return tensors.length - 1;
  });
  operators.push({ op: c.op, inputs: [...firstConstants, feed, ...laterConstants], outputs, options: c.options });
  return buildTflite({ tensors, inputs: [0], outputs: [outputs[c.pick ?? 0]], operators });
}

async function run(c, throughConv) {
  const { onnx } = await importTflite(modelFor(c, throughConv));
  const session = await ort.InferenceSession.create(onnx, { logSeverityLevel: 3 });
  const result = await session.run({ x: new ort.Tensor('float32', Float32Array.from(c.input.values), c.input.shape) });
  const out = result[session.outputNames[0]];
  return { values: Array.from(out.data, Number), dims: out.dims };
}

const X4 = { shape: [1, 2, 2, 3], values: range(12, -5.5) }; // -5.5 .. 5.5
const POSITIVE4 = { shape: [1, 2, 2, 3], values: range(12, 0.5, 0.75) };
const X2 = { shape: [2, 3], values: [3, -1, 2, 0.5, 4, -2] };

const CASES = [
  {
    name: 'TRANSPOSE_CONV: each input pixel spread over a 2x2 block (stride 2, VALID)',
    op: 'TRANSPOSE_CONV', input: { shape: [1, 2, 2, 1], values: [1, 2, 3, 4] },
    constants: [{ shape: [4], type: 'int32', values: [1, 4, 4, 1], first: true }, { shape: [1, 2, 2, 1], values: [1, 1, 1, 1], first: true }],
    options: { type: 49, fields: [[0, 'int8', 1], [1, 'int32', 2], [2, 'int32', 2]] },
    output: { shape: [1, 4, 4, 1] },
    expect: [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4],
  },
  { name: 'TANH', op: 'TANH', input: X4, output: { shape: X4.shape }, expect: X4.values.map(Math.tanh) },
  { name: 'EXP', op: 'EXP', input: X4, output: { shape: X4.shape }, expect: X4.values.map(Math.exp) },
  { name: 'LOG', op: 'LOG', input: POSITIVE4, output: { shape: X4.shape }, expect: POSITIVE4.values.map(Math.log) },
  { name: 'SQRT', op: 'SQRT', input: POSITIVE4, output: { shape: X4.shape }, expect: POSITIVE4.values.map(Math.sqrt) },
  { name: 'RSQRT', op: 'RSQRT', input: POSITIVE4, output: { shape: X4.shape }, expect: POSITIVE4.values.map((v) => 1 / Math.sqrt(v)) },
  { name: 'RELU6', op: 'RELU6', input: { ...X4, values: X4.values.map((v) => v * 2) }, output: { shape: X4.shape }, expect: X4.values.map((v) => Math.min(Math.max(v * 2, 0), 6)) },
  {
    name: 'LEAKY_RELU (alpha 0.1)', op: 'LEAKY_RELU', input: X4, options: { type: 75, fields: [[0, 'float32', 0.1]] },
    output: { shape: X4.shape }, expect: X4.values.map((v) => (v < 0 ? Math.fround(0.1) * v : v)),
  },
  { name: 'HARD_SWISH', op: 'HARD_SWISH', input: X4, output: { shape: X4.shape }, expect: X4.values.map((v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6) },
  {
    name: 'PRELU with a per-channel slope [1,1,3]', op: 'PRELU', input: X4, constants: [{ shape: [1, 1, 3], values: [0.5, 0.25, 2] }],
    output: { shape: X4.shape }, expect: X4.values.map((v, i) => (v < 0 ? v * [0.5, 0.25, 2][i % 3] : v)),
  },
  ...[['SUB', (a, b) => a - b], ['DIV', (a, b) => a / b], ['MAXIMUM', Math.max], ['MINIMUM', Math.min], ['SQUARED_DIFFERENCE', (a, b) => (a - b) ** 2]].map(([op, f]) => ({
    name: `${op} with a per-channel constant [3]`, op, input: X4, constants: [{ shape: [3], values: [1.5, -2, 4] }],
    output: { shape: X4.shape }, expect: X4.values.map((v, i) => f(v, [1.5, -2, 4][i % 3])),
  })),
  {
    name: 'SUM over height and width', op: 'SUM', input: X4, constants: [{ shape: [2], type: 'int32', values: [1, 2] }], options: { type: 27, fields: [[0, 'bool', 0]] },
    output: { shape: [1, 3] }, expect: [0, 1, 2].map((c) => [0, 3, 6, 9].reduce((s, i) => s + X4.values[i + c], 0)),
  },
  {
    name: 'REDUCE_MAX over channels, dims kept', op: 'REDUCE_MAX', input: X4, constants: [{ shape: [1], type: 'int32', values: [3] }], options: { type: 27, fields: [[0, 'bool', 1]] },
    output: { shape: [1, 2, 2, 1] }, expect: [0, 1, 2, 3].map((p) => Math.max(...X4.values.slice(p * 3, p * 3 + 3))),
  },
  {
    name: 'MEAN over height, width kept', op: 'MEAN', input: X4, constants: [{ shape: [1], type: 'int32', values: [1] }], options: { type: 27, fields: [[0, 'bool', 1]] },
    output: { shape: [1, 1, 2, 3] }, expect: range(6).map((i) => (X4.values[i] + X4.values[i + 6]) / 2),
  },
  {
    name: 'PADV2: one row on top, one column on the right, with 9', op: 'PADV2', input: { shape: [1, 2, 2, 1], values: [1, 2, 3, 4] },
    constants: [{ shape: [4, 2], type: 'int32', values: [0, 0, 1, 0, 0, 1, 0, 0] }, { shape: [], values: [9] }],
    output: { shape: [1, 3, 3, 1] }, expect: [9, 9, 9, 1, 2, 9, 3, 4, 9],
  },
  {
    name: 'PAD with zeros on all sides', op: 'PAD', input: { shape: [1, 1, 1, 2], values: [5, 6] },
    constants: [{ shape: [4, 2], type: 'int32', values: [0, 0, 1, 1, 0, 0, 0, 0] }],
    output: { shape: [1, 3, 1, 2] }, expect: [0, 0, 5, 6, 0, 0],
  },
  {
    name: 'TRANSPOSE to channels first', op: 'TRANSPOSE', input: X4, constants: [{ shape: [4], type: 'int32', values: [0, 3, 1, 2] }],
    output: { shape: [1, 3, 2, 2] }, expect: [0, 1, 2].flatMap((c) => [0, 1, 2, 3].map((p) => X4.values[p * 3 + c])),
  },
  {
    name: 'SLICE: second row, first two channels', op: 'SLICE', input: X4,
    constants: [{ shape: [4], type: 'int32', values: [0, 1, 0, 0] }, { shape: [4], type: 'int32', values: [1, 1, -1, 2] }],
    output: { shape: [1, 1, 2, 2] }, expect: [0, 1].flatMap((w) => [0, 1].map((c) => at(X4.values, X4.shape)(1, w, c))),
  },
  {
    name: 'STRIDED_SLICE: every other column', op: 'STRIDED_SLICE', input: X4,
    constants: [{ shape: [4], type: 'int32', values: [0, 0, 0, 0] }, { shape: [4], type: 'int32', values: [1, 2, 2, 3] }, { shape: [4], type: 'int32', values: [1, 1, 2, 1] }],
    options: { type: 32, fields: [] }, output: { shape: [1, 2, 1, 3] }, expect: [0, 1].flatMap((h) => [0, 1, 2].map((c) => at(X4.values, X4.shape)(h, 0, c))),
  },
  {
    name: 'STRIDED_SLICE: a row, shrunk away, with an end mask', op: 'STRIDED_SLICE', input: X2,
    constants: [{ shape: [2], type: 'int32', values: [1, 0] }, { shape: [2], type: 'int32', values: [2, 0] }, { shape: [2], type: 'int32', values: [1, 2] }],
    options: { type: 32, fields: [[1, 'int32', 2], [4, 'int32', 1]] }, output: { shape: [2] }, expect: [0.5, -2],
  },
  {
    name: 'GATHER columns 2 and 0', op: 'GATHER', input: X2, constants: [{ shape: [2], type: 'int32', values: [2, 0] }],
    options: { type: 23, fields: [[0, 'int32', 1]] }, output: { shape: [2, 2] }, expect: [2, 3, -2, 0.5],
  },
  {
    name: 'SPLIT channels in three (the second)', op: 'SPLIT', input: X4, constants: [{ shape: [], type: 'int32', values: [3], first: true }],
    options: { type: 35, fields: [[0, 'int32', 3]] }, outputs: 3, pick: 1, output: { shape: [1, 2, 2, 1] }, expect: [0, 1, 2, 3].map((p) => X4.values[p * 3 + 1]),
  },
  {
    name: 'SPLIT_V 1 + 2 along the last axis (the second)', op: 'SPLIT_V', input: X2,
    constants: [{ shape: [2], type: 'int32', values: [1, 2] }, { shape: [], type: 'int32', values: [-1] }],
    options: { type: 79, fields: [[0, 'int32', 2]] }, outputs: 2, pick: 1, outputShapes: [[2, 1], [2, 2]], output: { shape: [2, 2] }, expect: [-1, 2, 4, -2],
  },
  {
    name: 'UNPACK rows (the second)', op: 'UNPACK', input: X2, options: { type: 64, fields: [[0, 'int32', 2], [1, 'int32', 0]] },
    outputs: 2, pick: 1, output: { shape: [3] }, expect: [0.5, 4, -2],
  },
  {
    name: 'PACK a row with a constant row, along axis 1', op: 'PACK', input: { shape: [3], values: [1, 2, 3] }, constants: [{ shape: [3], values: [7, 8, 9] }],
    options: { type: 59, fields: [[0, 'int32', 2], [1, 'int32', 1]] }, output: { shape: [3, 2] }, expect: [1, 7, 2, 8, 3, 9],
  },
  {
    name: 'EXPAND_DIMS then values unchanged', op: 'EXPAND_DIMS', input: X2, constants: [{ shape: [], type: 'int32', values: [0] }],
    output: { shape: [1, 2, 3] }, expect: X2.values,
  },
  {
    name: 'SQUEEZE the unit axes', op: 'SQUEEZE', input: { shape: [1, 2, 1, 3], values: X2.values }, options: { type: 30, fields: [[0, 'ints', [0, 2]]] },
    output: { shape: [2, 3] }, expect: X2.values,
  },
  {
    name: 'ARG_MAX along the last axis, as int32', op: 'ARG_MAX', input: X2, constants: [{ shape: [], type: 'int32', values: [1] }],
    options: { type: 40, fields: [[0, 'int8', 2]] }, output: { shape: [2], type: 'int32' }, expect: [0, 1],
  },
  {
    name: 'RESIZE_NEAREST_NEIGHBOR to twice the size', op: 'RESIZE_NEAREST_NEIGHBOR', input: { shape: [1, 2, 2, 1], values: [1, 2, 3, 4] },
    constants: [{ shape: [2], type: 'int32', values: [4, 4] }], options: { type: 74, fields: [] },
    output: { shape: [1, 4, 4, 1] }, expect: [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4],
  },
];

describe('TFLite importer: each operator computes what TFLite defines', function () {
  this.timeout(30000);
  for (const c of CASES) {
    for (const throughConv of c.input.shape.length === 4 && c.input.shape[3] <= 3 ? [false, true] : [false]) {
      it(`${c.name}${throughConv ? ', on a tensor held in NCHW' : ''}`, async () => {
        const { values, dims } = await run(c, throughConv);
        assert.deepEqual(dims, c.output.shape);
        assert.equal(values.length, count(c.output.shape));
        values.forEach((v, i) => assert.ok(Math.abs(v - c.expect[i]) <= 1e-5 * Math.max(1, Math.abs(c.expect[i])), `value ${i}: ${v}, expected ${c.expect[i]} (all: ${values})`));
      });
    }
  }
});
