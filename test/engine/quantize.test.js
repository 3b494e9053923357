'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const ort = require('onnxruntime-node');
const { models, images } = require('../helpers/paths');
const { buildModel, tinyClassifier } = require('../helpers/onnx-builder');
const {
  quantizeModel, calibrationInputs, recordCalibration, buildQuantized, buildCorrected, referenceOf, sensitivities, trial, mixedPrecision,
} = require('../../dist/lib/tools');
const { OnnxGraph, attributeInts, tensorValues } = require('../../dist/lib/onnx');

/** A repeatable pseudo-random sequence (tests must give the same model and data every run). */
function random(seed) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
}

/**
 * Conv 3x3 -> BatchNormalization -> Relu -> Conv 1x1, a residual Add, then a last Conv 1x1: the
 * shapes a quantizer meets in real backbones, with weights drawn from a fixed seed.
 */
function tinyBackbone(opset = 13, classifier = false) {
  const r = random(7);
  const values = (n, scale = 1, offset = 0) => Array.from({ length: n }, () => offset + r() * scale);
  return buildModel({
    opset,
    nodes: [
      ['Conv', ['x', 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1] }],
      ['BatchNormalization', ['c1', 'gamma', 'beta', 'mean', 'var'], ['bn']],
      ['Relu', ['bn'], ['r1']],
      ['Conv', ['r1', 'w2', 'b2'], ['c2']],
      ['Add', ['r1', 'c2'], ['sum']],
      ['Conv', ['sum', 'w3', 'b3'], ['y']],
      ...(classifier ? [['GlobalAveragePool', ['y'], ['pooled']], ['Flatten', ['pooled'], ['logits']]] : []),
    ],
    initializers: [
      ['w1', 'float32', [8, 3, 3, 3], values(216)], ['b1', 'float32', [8], values(8, 0.2)],
      ['gamma', 'float32', [8], values(8, 0.5, 1)], ['beta', 'float32', [8], values(8, 0.4)],
      ['mean', 'float32', [8], values(8, 0.3)], ['var', 'float32', [8], values(8, 0.5, 1)],
      ['w2', 'float32', [8, 8, 1, 1], values(64)], ['b2', 'float32', [8], values(8, 0.2)],
      ['w3', 'float32', [4, 8, 1, 1], values(32)], ['b3', 'float32', [4], values(4, 0.2)],
    ],
    inputs: [['x', 'float32', [1, 3, 8, 8]]],
    outputs: classifier ? [['logits', 'float32', [1, 4]]] : [['y', 'float32', [1, 4, 8, 8]]],
  });
}

const inputsFrom = (seed, count, scale = 2) => {
  const r = random(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: 192 }, () => r() * scale));
};

async function outputsOf(bytes, inputs) {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const all = [];
  for (const data of inputs) {
    const out = await session.run({ x: new ort.Tensor('float32', data, [1, 3, 8, 8]) });
    all.push(...out.y.data);
  }
  await session.release();
  return all;
}

/** Signal-to-quantization-noise ratio in dB of `approximate` against `exact`. */
function sqnr(exact, approximate) {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < exact.length; i++) {
    signal += exact[i] ** 2;
    noise += (exact[i] - approximate[i]) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

describe('int8 quantizer', () => {
  const held = inputsFrom(99, 8);

  it('turns a small backbone into U8S8 QDQ: per-channel int8 weights, uint8 activations, BatchNorm folded, Relu taken by the range', async () => {
    const model = tinyBackbone();
    const report = await quantizeModel(model, { calibration: inputsFrom(1, 16) });
    assert.deepEqual(report.quantizedNodes, { Conv: 3, Relu: 1, Add: 1 });
    assert.equal(report.foldedBatchNorms, 1);
    assert.equal(report.calibrationInputs, 16);
    const graph = OnnxGraph.read(report.bytes);
    const ops = graph.nodes.map((n) => n.op);
    assert.ok(!ops.includes('BatchNormalization') && !ops.includes('Relu'), `left: ${ops.join(' ')}`);
    for (const conv of graph.nodes.filter((n) => n.op === 'Conv')) {
      const [weight, bias] = [conv.inputs[1], conv.inputs[2]].map((name) => graph.nodes.find((n) => n.outputs[0] === name));
      assert.equal(weight.op, 'DequantizeLinear');
      assert.equal(graph.initializer(weight.inputs[0]).dataType, 3, 'int8 weights');
      assert.equal(graph.initializer(weight.inputs[1]).dims[0], graph.initializer(weight.inputs[0]).dims[0], 'a scale per output channel');
      assert.equal(graph.initializer(bias.inputs[0]).dataType, 6, 'int32 bias');
      const input = graph.nodes.find((n) => n.outputs[0] === conv.inputs[0]);
      assert.equal(input.op, 'DequantizeLinear');
      assert.equal(graph.initializer(input.inputs[2]).dataType, 2, 'uint8 activations');
    }
    // The Relu's work is done by its output's range, which must start exactly at 0.
    const reluOut = graph.nodes.find((n) => n.op === 'QuantizeLinear' && n.inputs[0] === 'r1');
    assert.equal(tensorValues(graph.initializer(reluOut.inputs[2]))[0], 0);
    assert.ok(JSON.parse(graph.metadata('edge_ai_quantization')).calibrationInputs === 16);

    const quality = sqnr(await outputsOf(model, held), await outputsOf(report.bytes, held));
    assert.ok(quality > 30, `SQNR ${quality.toFixed(1)} dB on inputs it was not calibrated on`);
    if (process.env.EDGE_AI_TEST_VERBOSE) console.log(`      SQNR ${quality.toFixed(1)} dB`);
  });

  it('raises an opset 11 model to 13 for per-channel weights when nothing else changes meaning', async () => {
    const report = await quantizeModel(tinyBackbone(11), { calibration: inputsFrom(1, 4) });
    assert.equal(report.opset, 13);
    const graph = OnnxGraph.read(report.bytes);
    assert.equal(graph.opset, 13);
    const quality = sqnr(await outputsOf(tinyBackbone(11), held), await outputsOf(report.bytes, held));
    assert.ok(quality > 30, `SQNR ${quality.toFixed(1)} dB`);
  });

  it('says what is wrong: not ONNX, nothing to quantize, no calibration images', async () => {
    await assert.rejects(quantizeModel(Buffer.from('not a model at all'), { calibration: [] }), /./);
    await assert.rejects(quantizeModel(tinyClassifier(), { calibration: [new Float32Array(192)] }), /nothing to quantize: the model has no Conv, MatMul or Gemm/);
    await assert.rejects(quantizeModel(tinyBackbone(), { calibration: [] }), /calibration needs at least 2 images, got none/);
    await assert.rejects(quantizeModel(tinyBackbone(), { calibration: inputsFrom(1, 1) }), /calibration needs at least 2 images, got 1/);
  });

  it('every range method builds a valid model from one recording, and the metadata says which', async () => {
    const calibration = await recordCalibration(tinyBackbone(), inputsFrom(1, 8));
    assert.equal(calibration.inputs.length, 8);
    assert.deepEqual(calibration.computeNodes.length, 3);
    const exact = await outputsOf(tinyBackbone(), held);
    for (const method of ['min-max', 'percentile', 'entropy', 'mse']) {
      const report = buildQuantized(calibration, { method, percentile: 99.9 });
      const meta = JSON.parse(OnnxGraph.read(report.bytes).metadata('edge_ai_quantization'));
      assert.equal(meta.calibration, method);
      const quality = sqnr(exact, await outputsOf(report.bytes, held));
      // Entropy trades the rare large values for finer steps: on this small uniform model it costs most.
      assert.ok(quality > (method === 'entropy' ? 12 : 20), `${method}: SQNR ${quality.toFixed(1)} dB`);
      if (process.env.EDGE_AI_TEST_VERBOSE) console.log(`      ${method}: SQNR ${quality.toFixed(1)} dB`);
    }
  });

  it('a node kept float keeps its activation float too, and the next int8 node quantizes its own input', async () => {
    const calibration = await recordCalibration(tinyBackbone(), inputsFrom(1, 8));
    const [first] = calibration.computeNodes;
    const report = buildQuantized(calibration, { exclude: [first] });
    const graph = OnnxGraph.read(report.bytes);
    const conv = graph.nodes.find((n) => n.name === first);
    // Its weight is the float one, and no QuantizeLinear reads its raw output (the Relu's input).
    assert.ok(graph.initializer(conv.inputs[1]), 'float weight kept');
    assert.equal(graph.nodes.filter((n) => n.op === 'QuantizeLinear' && n.inputs[0] === conv.outputs[0]).length, 0);
    const relu = graph.nodes.find((n) => n.op === 'Relu');
    assert.ok(relu, 'the Relu after a float Conv stays a float Relu');
    assert.equal(report.quantizedNodes.Conv, 2);
    const quality = sqnr(await outputsOf(tinyBackbone(), held), await outputsOf(report.bytes, held));
    assert.ok(quality > 30, `SQNR ${quality.toFixed(1)} dB`);
    assert.throws(() => buildQuantized(calibration, { exclude: calibration.computeNodes }), /nothing to quantize: every Conv, MatMul and Gemm is left in float/);
  });

  it('of Conv -> Relu -> Clip(0, 6) only the Relu folds: the model stays valid and close', async () => {
    const r = random(3);
    const model = buildModel({
      opset: 13,
      nodes: [['Conv', ['x', 'w', 'b'], ['c']], ['Relu', ['c'], ['r']], ['Clip', ['r', 'lo', 'hi'], ['y6']], ['Conv', ['y6', 'w2', 'b2'], ['y']]],
      initializers: [['w', 'float32', [4, 3, 1, 1], Array.from({ length: 12 }, () => r() * 4)], ['b', 'float32', [4], [0.1, -0.1, 0.2, 0]],
        ['lo', 'float32', [], [0]], ['hi', 'float32', [], [6]], ['w2', 'float32', [4, 4, 1, 1], Array.from({ length: 16 }, () => r())], ['b2', 'float32', [4], [0, 0, 0, 0]]],
      inputs: [['x', 'float32', [1, 3, 8, 8]]],
      outputs: [['y', 'float32', [1, 4, 8, 8]]],
    });
    const report = await quantizeModel(model, { calibration: inputsFrom(5, 6, 4) });
    const graph = OnnxGraph.read(report.bytes);
    const produced = new Set(graph.nodes.flatMap((n) => n.outputs));
    for (const node of graph.nodes) for (const input of node.inputs) assert.ok(!input || produced.has(input) || graph.initializer(input) || input === 'x', `${node.op} reads ${input}, which nothing makes`);
    const quality = sqnr(await outputsOf(model, held), await outputsOf(report.bytes, held));
    assert.ok(quality > 25, `SQNR ${quality.toFixed(1)} dB`);
  });

  it('a model with one compute node: the search keeps it int8 rather than fail', async () => {
    const bytes = tinyBackbone(13, true);
    const calibration = await recordCalibration(bytes, inputsFrom(1, 4));
    const reference = await referenceOf(bytes, calibration);
    const start = await trial(calibration, reference, {});
    const mixed = await mixedPrecision(calibration, reference, {}, [calibration.computeNodes[0]], { agreement: 2, added: 0 }, start);
    assert.deepEqual([mixed.float, mixed.met, mixed.result], [[], false, start]);
  });

  it('bias correction takes out the mean shift int8 rounding gives a nearly constant channel, adding a bias where there was none', async () => {
    // Channel 0 of the first Conv is nearly constant (3.3 plus a little of the input) beside channels
    // of wide range; one uint8 scale rounds all its pixels alike, and the depthwise Conv after it,
    // with large weights (as BatchNorm folding makes them), turns that into a shifted mean.
    const r = random(11);
    const model = buildModel({
      opset: 13,
      nodes: [['Conv', ['x', 'w1', 'b1'], ['c1']], ['Relu', ['c1'], ['r1']], ['Conv', ['r1', 'w2'], ['y'], { group: 4, pads: [1, 1, 1, 1] }]],
      initializers: [
        ['w1', 'float32', [4, 3, 1, 1], [0.002, 0.002, 0.002, ...Array.from({ length: 9 }, () => r() * 6)]], ['b1', 'float32', [4], [3.3, 0, 0.5, -0.5]],
        ['w2', 'float32', [4, 1, 3, 3], [...Array(9).fill(4), ...Array.from({ length: 27 }, () => r())]],
      ],
      inputs: [['x', 'float32', [1, 3, 8, 8]]],
      outputs: [['y', 'float32', [1, 4, 8, 8]]],
    });
    const calibration = await recordCalibration(model, inputsFrom(21, 8, 4));
    // Held-out inputs of the same kind as the calibration's (the correction holds for what calibration saw).
    const unseen = inputsFrom(22, 8, 4);
    const channelMeanError = async (bytes) => {
      const [exact, approximate] = [await outputsOf(model, unseen), await outputsOf(bytes, unseen)];
      const error = [0, 0, 0, 0];
      for (let i = 0; i < exact.length; i++) error[Math.floor(i / 64) % 4] += (approximate[i] - exact[i]) / (exact.length / 4);
      return error.map(Math.abs);
    };
    const plain = await buildCorrected(calibration, { correctBias: false });
    const fixed = await buildCorrected(calibration, {});
    const [before, after] = [await channelMeanError(plain.bytes), await channelMeanError(fixed.bytes)];
    if (process.env.EDGE_AI_TEST_VERBOSE) console.log(`      channel mean error before ${before.map((e) => e.toFixed(4))}, after ${after.map((e) => e.toFixed(4))}`);
    assert.ok(before[0] > 0.02, `the constant channel's mean moved by ${before[0]} before correction`);
    assert.ok(after[0] < before[0] / 5, `after correction ${after[0]}, before ${before[0]}`);
    const graph = OnnxGraph.read(fixed.bytes);
    assert.equal(JSON.parse(graph.metadata('edge_ai_quantization')).biasCorrection, 'empirical');
    assert.equal(JSON.parse(OnnxGraph.read(plain.bytes).metadata('edge_ai_quantization')).biasCorrection, undefined);
    assert.equal(graph.nodes.find((n) => n.op === 'Conv' && attributeInts(n, 'group')?.[0] === 4).inputs.length, 3, 'the depthwise Conv now has a bias');
  });

  it('ranks nodes by sensitivity and keeps the fewest float that meet the target', async function () {
    this.timeout(60000);
    const bytes = tinyBackbone(13, true);
    const calibration = await recordCalibration(bytes, inputsFrom(1, 8));
    const reference = await referenceOf(bytes, calibration);
    const ranked = await sensitivities(calibration, reference, { method: 'min-max' });
    assert.deepEqual(ranked.map((r) => r.node).sort(), [...calibration.computeNodes].sort());
    assert.ok(ranked.every((r, i) => i === 0 || ranked[i - 1].error >= r.error), 'most sensitive first');
    assert.ok(ranked[0].error > 0);
    const start = await trial(calibration, reference, { method: 'min-max' });
    assert.equal(start.agreement.kind, 'classification');
    assert.equal(start.agreement.of, 8);
    // A target above what all-int8 reaches: it must keep nodes float, the most sensitive first.
    const target = { agreement: 2, added: 0 };
    const mixed = await mixedPrecision(calibration, reference, { method: 'min-max' }, ranked.map((r) => r.node), target, start, 1);
    assert.equal(mixed.met, false);
    assert.ok(mixed.steps.length >= 1, 'it tried keeping nodes float');
    // Not met: float nodes only for a gain beyond chance (8 inputs: none can be), so all-int8.
    assert.deepEqual(mixed.float, []);
    assert.equal(mixed.result, start);
    // A target all-int8 meets: nothing is kept float.
    const easy = await mixedPrecision(calibration, reference, { method: 'min-max' }, ranked.map((r) => r.node), { agreement: 0, added: 1 }, start);
    assert.deepEqual(easy.float, []);
  });

  it('MobileNetV2 fp32 quantized here gives the known top-1 on the five photos, at half the size', async function () {
    this.timeout(120000);
    const file = path.join(models, 'classification', 'mobilenet_v2_224_fp32.onnx');
    const bytes = fs.readFileSync(file);
    // Calibrated on other photos than the five it is checked on.
    const calibrationPhotos = ['apple.jpg', 'basketball2.png', 'fruits.jpg', 'messi5.jpg', 'squat.bmp', 'cat_720p.jpg', 'kite_and_cold.jpg', 'pets.jpg'];
    const report = await quantizeModel(bytes, { calibration: calibrationInputs(bytes, calibrationPhotos.map((p) => path.join(images, p))) });
    assert.ok(report.bytes.length < bytes.length / 3, `${report.bytes.length} bytes`);
    const labels = fs.readFileSync(path.join(models, 'classification', 'imagenet_labels_1001.txt'), 'utf8').split('\n');
    const expected = { 'grace_hopper.bmp': 'military uniform', 'hot_dog.jpg': 'hotdog', 'parrot.jpg': 'macaw', 'orange.jpg': 'orange', 'cat.bmp': 'Egyptian cat' };
    const session = await ort.InferenceSession.create(report.bytes, { logSeverityLevel: 3 });
    const names = Object.keys(expected);
    let at = 0;
    for await (const data of calibrationInputs(bytes, names.map((p) => path.join(images, p)))) {
      const out = await session.run({ input: new ort.Tensor('float32', data, [1, 3, 224, 224]) });
      const scores = out[session.outputNames[0]].data;
      const top = scores.indexOf(Math.max(...scores));
      assert.equal(labels[top].split(',')[0].trim(), expected[names[at]], names[at]);
      at++;
    }
    await session.release();
  });
});
