'use strict';
// Test assets the project makes itself from other assets with its own engine (dist/, so built
// first): the float MobileNetV2 the tests quantize is Coral's quantization-aware trained uint8
// .tflite, imported by the project's TFLite importer, with every weight dequantized and every
// activation left in float (the way the team's copy in ../shared/assets was made outside the
// project), fed the (pixel - 128) / 128 tensor in NCHW and answering the softmax.
const path = require('node:path');

const dist = path.resolve(__dirname, '..', '..', '..', 'dist', 'lib');

/** `(q - zeroPoint) * scale`, per tensor or per channel along `axis`. */
function dequantized(values, dims, scales, zeroPoints, axis) {
  const out = new Float32Array(values.length);
  if (scales.length === 1) {
    for (let i = 0; i < values.length; i++) out[i] = (values[i] - zeroPoints[0]) * scales[0];
    return out;
  }
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % dims[axis];
    out[i] = (values[i] - zeroPoints[c]) * scales[c];
  }
  return out;
}

/** The float model of a quantized .tflite file whose input is uint8 NHWC pixels. */
async function floatModelOfTflite(tflite, { inputName = 'input', outputName = 'probs', metadata = {} } = {}) {
  const { importTflite } = require(path.join(dist, 'tflite'));
  const { OnnxGraph, floatTensor, tensorValues, attributeInts, tensorValueInfo, DATA_TYPE } = require(path.join(dist, 'onnx'));
  const graph = OnnxGraph.read((await importTflite(tflite)).onnx);
  const values = (name) => Array.from(tensorValues(graph.initializer(name)), Number);
  const alias = new Map();
  const kept = [];
  const [input] = graph.inputs;
  for (const node of graph.nodes) {
    const [x, scale, zeroPoint] = node.inputs;
    if (node.op === 'DequantizeLinear' && graph.hasInitializer(x)) {
      // A weight or bias: its float values become the initializer.
      const q = graph.initializer(x);
      const axis = attributeInts(node, 'axis')?.[0] ?? 1;
      const zeros = zeroPoint ? values(zeroPoint) : [0];
      graph.setInitializer(floatTensor(node.outputs[0], q.dims, dequantized(tensorValues(q), q.dims, values(scale), zeros, axis < 0 ? axis + q.dims.length : axis)));
    } else if (node.op === 'QuantizeLinear' || node.op === 'DequantizeLinear') {
      // An activation's round trip through int8 (or the input's dequantization): float passes on.
      alias.set(node.outputs[0], x);
    } else {
      kept.push(node);
    }
  }
  const resolve = (name) => (alias.has(name) ? resolve(alias.get(name)) : name);
  // The input transposed from NHWC to NCHW is the float NCHW input now.
  const transpose = kept.find((n) => n.op === 'Transpose' && resolve(n.inputs[0]) === input.name);
  if (!transpose) throw new Error('the imported model does not start with its NHWC input transposed to NCHW');
  alias.set(transpose.outputs[0], inputName);
  const nodes = kept.filter((n) => n !== transpose);
  for (const node of nodes) node.inputs = node.inputs.map((name) => (name === '' ? name : resolve(name)));
  const [output] = graph.outputs;
  const identity = nodes.find((n) => n.outputs[0] === output.name);
  if (identity) identity.outputs[0] = outputName;
  // A model of its own: none of the import's metadata (its labels would make this model differ
  // from the int8 ones made from it), no value_info, no quantization parameter left unread.
  const model = OnnxGraph.create(graph.opset, 'edge-ai test assets', 'float');
  model.nodes = nodes;
  model.inputs = [tensorValueInfo(inputName, DATA_TYPE.float32, [input.dims[0], input.dims[3], input.dims[1], input.dims[2]])];
  model.outputs = [tensorValueInfo(outputName, DATA_TYPE.float32, output.dims)];
  const used = new Set(nodes.flatMap((n) => n.inputs));
  for (const name of graph.initializerNames()) if (used.has(name)) model.setInitializer(graph.initializer(name));
  for (const [key, value] of Object.entries(metadata)) model.setMetadata(key, value);
  return model.encode();
}

/** What each derived asset is made with (table.js names the recipe in `from.derive`). */
const RECIPES = {
  'float-mobilenet': (tflite) => floatModelOfTflite(tflite, {
    metadata: {
      source: 'coral-mobilenet_v2_1.0_224_quant.tflite',
      input_layout: 'NCHW RGB float32',
      input_normalization: 'x = (pixel_uint8 - 128) * 0.0078125',
      labels: '1001 classes, index 0 = background (coral imagenet_labels.txt)',
      note: 'weights dequantized from TFLite uint8 by the project\'s importer; activations fp32',
    },
  }),
};

module.exports = { RECIPES, floatModelOfTflite };
