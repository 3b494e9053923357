'use strict';
// Builds tiny TensorFlow Lite files in code (flatbuffers' Builder, TFLite's schema.fbs field
// order) for tests where only the importer's plumbing matters: unknown operators, two inputs,
// one operator at a time.
const { Builder } = require('flatbuffers');

/** TensorType numbers (schema.fbs). */
const TYPES = { float32: 0, int32: 2, uint8: 3, int64: 4, int8: 9 };
/** BuiltinOperator numbers (schema.fbs). */
const OPS = {
  ADD: 0, CONV_2D: 3, MUL: 18, RELU: 19, RELU6: 21, RESHAPE: 22, SOFTMAX: 25, TANH: 28, CUSTOM: 32, PAD: 34, GATHER: 36, TRANSPOSE: 39,
  MEAN: 40, SUB: 41, DIV: 42, SQUEEZE: 43, STRIDED_SLICE: 45, EXP: 47, SPLIT: 49, PRELU: 54, MAXIMUM: 55, ARG_MAX: 56, MINIMUM: 57,
  PADV2: 60, SLICE: 65, TRANSPOSE_CONV: 67, EXPAND_DIMS: 70, LOG: 73, SUM: 74, SQRT: 75, RSQRT: 76, REDUCE_MAX: 82, PACK: 83,
  UNPACK: 88, FLOOR_MOD: 95, RESIZE_NEAREST_NEIGHBOR: 97, LEAKY_RELU: 98, SQUARED_DIFFERENCE: 99, SPLIT_V: 102, HARD_SWISH: 117,
};

function vector(b, values, add, size = 4) {
  b.startVector(size, values.length, size);
  for (let i = values.length - 1; i >= 0; i--) add(values[i]);
  return b.endVector();
}

/** An options table from [slot, kind, value] fields (kinds: int8, bool, int32, float32, ints). */
function optionsTable(b, fields) {
  const vectors = fields.map(([, kind, value]) => (kind === 'ints' ? int32s(b, value) : 0));
  b.startObject(Math.max(1, ...fields.map(([slot]) => slot + 1)));
  fields.forEach(([slot, kind, value], i) => {
    if (kind === 'int8' || kind === 'bool') b.addFieldInt8(slot, Number(value), 0);
    else if (kind === 'int32') b.addFieldInt32(slot, value, 0);
    else if (kind === 'float32') b.addFieldFloat32(slot, value, 0);
    else b.addFieldOffset(slot, vectors[i], 0);
  });
  return b.endObject();
}

const offsets = (b, list) => vector(b, list, (o) => b.addOffset(o));
const int32s = (b, list) => vector(b, list, (v) => b.addInt32(v));

/**
 * @param {object} spec {tensors: [{name, type, shape, data?: Buffer, quantization?: {scale, zeroPoint, axis?}}], inputs: [i], outputs: [i],
 *   operators: [{op: 'ADD' | number, custom?: string, inputs: [i], outputs: [i]}]}
 */
function buildTflite(spec) {
  const b = new Builder(1024);
  const codes = [...new Set(spec.operators.map((o) => (o.custom ? `custom:${o.custom}` : String(o.op))))];
  const codeOffsets = codes.map((code) => {
    const custom = code.startsWith('custom:') ? b.createString(code.slice(7)) : 0;
    const number = custom ? 32 : typeof OPS[code] === 'number' ? OPS[code] : Number(code);
    b.startObject(4);
    b.addFieldInt8(0, Math.min(number, 127), 0);
    if (custom) b.addFieldOffset(1, custom, 0);
    b.addFieldInt32(2, 1, 1);
    b.addFieldInt32(3, number, 0);
    return b.endObject();
  });
  // Buffer 0 is the empty sentinel; each constant gets its own.
  const buffers = [new Uint8Array(0)];
  const tensorOffsets = spec.tensors.map((t) => {
    const name = b.createString(t.name);
    const shape = int32s(b, t.shape);
    let buffer = 0;
    if (t.data) {
      buffer = buffers.length;
      buffers.push(t.data);
    }
    // QuantizationParameters: scale (slot 2, floats), zero_point (slot 3, int64s), quantized_dimension (6).
    let quantization = 0;
    if (t.quantization) {
      const scale = vector(b, t.quantization.scale, (v) => b.addFloat32(v));
      const zeroPoint = vector(b, t.quantization.zeroPoint, (v) => b.addInt64(BigInt(v)), 8);
      b.startObject(7);
      b.addFieldOffset(2, scale, 0);
      b.addFieldOffset(3, zeroPoint, 0);
      b.addFieldInt32(6, t.quantization.axis ?? 0, 0);
      quantization = b.endObject();
    }
    b.startObject(5);
    b.addFieldOffset(0, shape, 0);
    b.addFieldInt8(1, TYPES[t.type], 0);
    b.addFieldInt32(2, buffer, 0);
    b.addFieldOffset(3, name, 0);
    if (quantization) b.addFieldOffset(4, quantization, 0);
    return b.endObject();
  });
  const operatorOffsets = spec.operators.map((o) => {
    const inputs = int32s(b, o.inputs);
    const outputs = int32s(b, o.outputs);
    const options = o.options ? optionsTable(b, o.options.fields) : 0;
    b.startObject(5);
    b.addFieldInt32(0, codes.indexOf(o.custom ? `custom:${o.custom}` : String(o.op)), 0);
    b.addFieldOffset(1, inputs, 0);
    b.addFieldOffset(2, outputs, 0);
    if (options) {
      b.addFieldInt8(3, o.options.type, 0);
      b.addFieldOffset(4, options, 0);
    }
    return b.endObject();
  });
  const tensors = offsets(b, tensorOffsets);
  const inputs = int32s(b, spec.inputs);
  const outputs = int32s(b, spec.outputs);
  const operators = offsets(b, operatorOffsets);
  b.startObject(4);
  b.addFieldOffset(0, tensors, 0);
  b.addFieldOffset(1, inputs, 0);
  b.addFieldOffset(2, outputs, 0);
  b.addFieldOffset(3, operators, 0);
  const subgraph = b.endObject();
  const bufferOffsets = buffers.map((data) => {
    const bytes = data.length ? vector(b, [...data], (v) => b.addInt8(v), 1) : 0;
    b.startObject(1);
    if (bytes) b.addFieldOffset(0, bytes, 0);
    return b.endObject();
  });
  const operatorCodes = offsets(b, codeOffsets);
  const subgraphs = offsets(b, [subgraph]);
  const bufferVector = offsets(b, bufferOffsets);
  b.startObject(5);
  b.addFieldInt32(0, 3, 0);
  b.addFieldOffset(1, operatorCodes, 0);
  b.addFieldOffset(2, subgraphs, 0);
  b.addFieldOffset(4, bufferVector, 0);
  b.finish(b.endObject(), 'TFL3');
  return Buffer.from(b.asUint8Array());
}

const floats = (values) => Buffer.from(Float32Array.from(values).buffer);

/** x [1,4] float → ADD a constant → RELU: the smallest model that runs. */
function tinyAddRelu(extra = {}) {
  return buildTflite({
    tensors: [
      { name: 'x', type: 'float32', shape: [1, 4] },
      { name: 'bias', type: 'float32', shape: [4], data: floats([1, -2, 3, -4]) },
      { name: 'sum', type: 'float32', shape: [1, 4] },
      { name: 'y', type: 'float32', shape: [1, 4] },
      ...(extra.tensors ?? []),
    ],
    inputs: [0, ...(extra.inputs ?? [])],
    outputs: [3],
    operators: [
      { op: 'ADD', inputs: [0, 1], outputs: [2] },
      { op: 'RELU', inputs: [2], outputs: [3] },
      ...(extra.operators ?? []),
    ],
  });
}

module.exports = { buildTflite, tinyAddRelu, floats };
