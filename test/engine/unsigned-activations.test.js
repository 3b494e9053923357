'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const ort = require('onnxruntime-node');
const { models } = require('../helpers/paths');
const { buildModel } = require('../helpers/onnx-builder');
const { unsignedActivations, signedActivations } = require('../../dist/lib/model');
const { readOnnxModelInfo } = require('../../dist/lib/onnx');

/**
 * A QDQ 1x1 convolution as onnxruntime's quantizer writes it: the input and the output each
 * quantized and dequantized with their own zero point (`activation` type), int8 weights with
 * an int8 zero point of their own. `change(spec)` bends it for the cases that must be refused.
 */
function qdqConv({ activation = 'int8', change = (spec) => spec } = {}) {
  const zp = (value) => (activation === 'int8' ? value : value + 128);
  return buildModel(change({
    opset: 13,
    nodes: [
      ['QuantizeLinear', ['x', 'x_scale', 'x_zp'], ['x_q']],
      ['DequantizeLinear', ['x_q', 'x_scale', 'x_zp'], ['x_dq']],
      ['DequantizeLinear', ['w', 'w_scale', 'w_zp'], ['w_dq']],
      ['Conv', ['x_dq', 'w_dq'], ['y']],
      ['QuantizeLinear', ['y', 'y_scale', 'y_zp'], ['y_q']],
      ['DequantizeLinear', ['y_q', 'y_scale', 'y_zp'], ['out']],
    ],
    initializers: [
      ['x_scale', 'float32', [], [0.02]], ['x_zp', activation, [], [zp(-10)]],
      ['w', 'int8', [2, 3, 1, 1], [127, -128, 5, -7, 64, 100]], ['w_scale', 'float32', [], [0.01]], ['w_zp', 'int8', [], [0]],
      ['y_scale', 'float32', [], [0.05]], ['y_zp', activation, [], [zp(3)]],
    ],
    inputs: [['x', 'float32', [1, 3, 4, 4]]],
    outputs: [['out', 'float32', [1, 2, 4, 4]]],
  }));
}

async function run(bytes, input) {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  try {
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, 4, 4]) });
    return Array.from(out[session.outputNames[0]].data);
  } finally {
    await session.release();
  }
}

/** Zero-point initializers by name: [data type, values] as the rewritten file stores them. */
function zeroPoints(bytes) {
  const { fields, text } = require('../../dist/lib/onnx');
  const graph = [...fields(bytes)].find((f) => f.number === 7);
  const found = {};
  for (const f of fields(bytes, graph.start, graph.end)) {
    if (f.number !== 5) continue;
    let name = '';
    let type = 0;
    let raw;
    for (const t of fields(bytes, f.start, f.end)) {
      if (t.number === 8) name = text(bytes, t);
      if (t.number === 2) type = t.value;
      if (t.number === 9) raw = Buffer.from(bytes.subarray(t.start, t.end));
    }
    if (name.endsWith('_zp')) found[name] = [type, type === 3 ? [...new Int8Array(raw.buffer, raw.byteOffset, raw.length)] : [...raw]];
  }
  return found;
}

describe('int8 activations made unsigned (S8S8 -> U8S8)', () => {
  const input = Float32Array.from({ length: 48 }, (_, i) => Math.sin(i) * 2);

  it('moves the activation zero points by 128 into uint8, leaves the weights, and gives the same outputs', async () => {
    const signed = qdqConv();
    const rewritten = unsignedActivations(signed);
    assert.ok(rewritten, 'an S8S8 model is rewritten');
    assert.equal(rewritten.zeroPoints, 2);
    assert.deepEqual(zeroPoints(rewritten.bytes), { x_zp: [2, [118]], y_zp: [2, [131]], w_zp: [3, [0]] });
    assert.deepEqual(readOnnxModelInfo(rewritten.bytes).inputs, readOnnxModelInfo(signed).inputs);
    const [before, after] = [await run(signed, input), await run(rewritten.bytes, input)];
    assert.ok(before.some((v) => v !== 0), 'the model computes something');
    assert.deepEqual(after, before);
    assert.equal(unsignedActivations(rewritten.bytes), undefined, 'nothing left to change');
  });

  it('signedActivations is the inverse: U8S8 back to S8S8 with the same outputs', async () => {
    const unsigned = qdqConv({ activation: 'uint8' });
    const signed = signedActivations(unsigned);
    assert.deepEqual(zeroPoints(signed.bytes), { x_zp: [3, [-10]], y_zp: [3, [3]], w_zp: [3, [0]] });
    assert.deepEqual(await run(signed.bytes, input), await run(unsigned, input));
  });

  it('leaves models alone that are not plain QDQ', () => {
    // A quantized tensor read by another operator than DequantizeLinear.
    const readByOther = qdqConv({ change: (s) => ({ ...s, nodes: [...s.nodes, ['Identity', ['x_q'], ['x_copy']]], outputs: [...s.outputs, ['x_copy', 'int8', [1, 3, 4, 4]]] }) });
    assert.equal(unsignedActivations(readByOther), undefined);
    // The weights' zero point shared with an activation.
    const shared = qdqConv({ change: (s) => ({ ...s, nodes: s.nodes.map(([op, i, o]) => [op, i.map((n) => (n === 'w_zp' ? 'x_zp' : n)), o]) }) });
    assert.equal(unsignedActivations(shared), undefined);
    // Already unsigned.
    assert.equal(unsignedActivations(qdqConv({ activation: 'uint8' })), undefined);
  });

  it('round-trips the real MobileNetV2 QDQ model (65 activation zero points) with identical outputs', async () => {
    const original = fs.readFileSync(path.join(models, 'classification', 'mobilenet_v2_224_int8_qdq.onnx'));
    const signed = signedActivations(original);
    assert.equal(signed.zeroPoints, 65);
    const back = unsignedActivations(signed.bytes);
    assert.equal(back.zeroPoints, 65);
    const image = Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => ((i * 7919) % 255) / 127.5 - 1);
    const session = async (bytes) => {
      const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
      const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', image, [1, 3, 224, 224]) });
      await s.release();
      return Array.from(out[s.outputNames[0]].data);
    };
    assert.deepEqual(await session(back.bytes), await session(original));
  });
});
