'use strict';
// Builds tiny ONNX models in code for tests where only the plumbing matters.
// Writes the protobuf wire format with the engine's own ONNX writer (dist/lib/onnx).
const { DATA_TYPE, lengthField, tensorValueInfo, varintField } = require('../../dist/lib/onnx');

const intField = varintField;
const bytesField = lengthField;

const valueInfo = (name, type, dims) => tensorValueInfo(name, DATA_TYPE[type], dims).encoded;

/** TensorProto with its values as little-endian raw data. */
const TYPED = { float32: Float32Array, uint8: Uint8Array, int8: Int8Array, int32: Int32Array };

function tensorProto(type, dims, values, name) {
  const raw = type === 'int64'
    ? Buffer.from(BigInt64Array.from(values, (v) => BigInt(v)).buffer)
    : Buffer.from(TYPED[type].from(values).buffer);
  return Buffer.concat([...dims.map((d) => intField(1, d)), intField(2, DATA_TYPE[type]), ...(name ? [bytesField(8, name)] : []), bytesField(9, raw)]);
}

function attribute(name, value) {
  if (value && value.tensor) return Buffer.concat([bytesField(1, name), bytesField(5, tensorProto(...value.tensor)), intField(20, 4)]);
  if (Array.isArray(value)) return Buffer.concat([bytesField(1, name), ...value.map((v) => intField(8, v)), intField(20, 7)]);
  return Buffer.concat([bytesField(1, name), intField(3, value), intField(20, 2)]);
}

function node(op, inputs, outputs, attrs = {}) {
  return Buffer.concat([
    ...inputs.map((i) => bytesField(1, i)),
    ...outputs.map((o) => bytesField(2, o)),
    bytesField(3, `${op}_${outputs[0]}`),
    bytesField(4, op),
    ...Object.entries(attrs).map(([n, v]) => bytesField(5, attribute(n, v))),
  ]);
}

/**
 * @param {object} spec {nodes: [[op, inputs, outputs, attrs]], inputs: [[name, type, dims]], outputs: [...],
 *   initializers: [[name, type, dims, values]], metadata: {key: value}, opset}
 */
function buildModel(spec) {
  const graph = Buffer.concat([
    ...spec.nodes.map(([op, i, o, a]) => bytesField(1, node(op, i, o, a))),
    bytesField(2, 'tiny'),
    ...(spec.initializers ?? []).map(([n, t, d, v]) => bytesField(5, tensorProto(t, d, v, n))),
    ...spec.inputs.map(([n, t, d]) => bytesField(11, valueInfo(n, t, d))),
    ...spec.outputs.map(([n, t, d]) => bytesField(12, valueInfo(n, t, d))),
  ]);
  const opset = Buffer.concat([bytesField(1, ''), intField(2, spec.opset ?? 13)]);
  const metadata = Object.entries(spec.metadata ?? {}).map(([k, v]) => bytesField(14, Buffer.concat([bytesField(1, k), bytesField(2, v)])));
  return Buffer.concat([intField(1, 8), bytesField(2, 'edge-ai-tests'), bytesField(7, graph), bytesField(8, opset), ...metadata]);
}

/** Image [1,3,size,size] float32 -> per-channel mean [1,3]: a 3-class "classifier". */
function tinyClassifier(size = 8, metadata = {}) {
  return buildModel({
    nodes: [['ReduceMean', ['image'], ['scores'], { axes: [2, 3], keepdims: 0 }]],
    inputs: [['image', 'float32', [1, 3, size, size]]],
    outputs: [['scores', 'float32', [1, 3]]],
    metadata,
  });
}

/**
 * A model that ignores its image and answers with fixed outputs: for decoder plumbing, where
 * the values must be known. outputs: [[name, type, dims, values]].
 */
function fixedOutputModel({ input, outputs, metadata = {} }) {
  return buildModel({
    nodes: outputs.map(([name, type, dims, values]) => ['Constant', [], [name], { value: { tensor: [type, dims, values] } }]),
    inputs: [input],
    outputs: outputs.map(([name, type, dims]) => [name, type, dims]),
    metadata,
  });
}

// The protobuf writers too, for tests that shape a model by hand.
module.exports = { buildModel, tinyClassifier, fixedOutputModel, intField, bytesField };
