'use strict';
// The TFLite importer against what TensorFlow Lite's own interpreter gave (seed/golden.json):
// the same input arrays through the imported ONNX model in onnxruntime, compared value by value.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const ort = require('onnxruntime-node');
const { models } = require('../helpers/paths');
const { readNpy } = require('../helpers/npy');
const { buildTflite, tinyAddRelu } = require('../helpers/tflite-builder');
const { skipWithout } = require('../helpers/skipped');
const { importTflite, readTfliteModel, TfliteImportError } = require('../../dist/lib/tflite');
const { OnnxGraph } = require('../../dist/lib/onnx');

const TFLITE = path.join(models, 'tflite');
const SEED = path.join(TFLITE, 'seed');
const golden = JSON.parse(fs.readFileSync(path.join(SEED, 'golden.json'), 'utf8'));
const fileOf = (name) => (fs.existsSync(path.join(SEED, name)) ? path.join(SEED, name) : path.join(TFLITE, name));

/** Every input of the golden set through the imported model; the outputs stacked like the .npy. */
async function runGolden(name) {
  const g = golden[name];
  const { onnx, model } = await importTflite(fs.readFileSync(fileOf(name)));
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, logSeverityLevel: 3 });
  const inputs = readNpy(path.join(SEED, g.inputs_file));
  const perInput = g.input.shape.reduce((a, b) => a * b, 1);
  const outputs = [];
  for (let k = 0; k < inputs.shape[0]; k++) {
    const x = inputs.values.subarray(k * perInput, (k + 1) * perInput);
    const result = await session.run({ [session.inputNames[0]]: new ort.Tensor(g.input.dtype, x, g.input.shape) });
    outputs.push(Array.from(result[g.outputs[0].name].data, Number));
  }
  // A quantized output comes out dequantized: the interpreter's integers are compared as real values.
  const q = model.tensors[model.outputs[0]].quantization;
  const real = (v) => (q ? (v - q.zeroPoint[0]) * q.scale[0] : v);
  return { model, onnx, session, got: outputs.flat(), expected: Array.from(readNpy(path.join(SEED, g.outputs[0].file)).values, real) };
}

/** The quantization step of a quantized output, or of the tensor a float output was dequantized from. */
function outputStep(model) {
  const out = model.tensors[model.outputs[0]];
  if (out.quantization) return out.quantization.scale[0];
  const dequantize = model.operators.find((o) => o.op === 'DEQUANTIZE' && o.outputs[0] === model.outputs[0]);
  return dequantize ? model.tensors[dequantize.inputs[0]].quantization.scale[0] : undefined;
}

describe('TFLite importer: the same answers as TensorFlow Lite', function () {
  this.timeout(120000);

  for (const name of Object.keys(golden).filter((n) => !n.includes('movenet'))) {
    it(`${name}: the ${golden[name].outputs[0].dtype} output the interpreter gives`, async function () {
      // The golden arrays are named in golden.json only; YOLOX-nano's have no public origin yet.
      skipWithout(this, path.join(SEED, golden[name].inputs_file), path.join(SEED, golden[name].outputs[0].file));
      const { model, got, expected } = await runGolden(name);
      assert.equal(got.length, expected.length);
      const step = outputStep(model);
      if (step === undefined) {
        // Float all through: within 1e-4 relative, 1e-5 absolute near zero.
        for (let i = 0; i < got.length; i++) {
          assert.ok(Math.abs(got[i] - expected[i]) <= Math.max(1e-4 * Math.abs(expected[i]), 1e-5), `value ${i}: ${got[i]} vs ${expected[i]}`);
        }
        return;
      }
      let beyondOne = 0;
      for (let i = 0; i < got.length; i++) {
        const steps = Math.abs(got[i] - expected[i]) / step;
        assert.ok(steps <= 2 + 1e-3, `value ${i}: ${got[i]} vs ${expected[i]} is ${steps.toFixed(2)} steps of ${step}`);
        if (steps > 1 + 1e-3) beyondOne++;
      }
      assert.ok(beyondOne <= got.length * 0.001, `${beyondOne} of ${got.length} values more than one step off`);
    });
  }

  it('MoveNet lightning: the 17 keypoints of squat.bmp within 3 % of the image of the interpreter\'s', async () => {
    const name = 'coral-movenet_single_pose_lightning_ptq.tflite';
    const { got, expected } = await runGolden(name);
    const photo = golden[name].photos.indexOf('squat.bmp');
    const per = 17 * 3;
    for (let k = 0; k < 17; k++) {
      const [y, x] = got.slice(photo * per + k * 3, photo * per + k * 3 + 2);
      const [ey, ex] = expected.slice(photo * per + k * 3, photo * per + k * 3 + 2);
      assert.ok(Math.abs(y - ey) <= 0.03 && Math.abs(x - ex) <= 0.03, `keypoint ${k}: (${y}, ${x}) vs (${ey}, ${ex})`);
    }
  });

  it('runs convolutions in NCHW with no Transpose between two of them, and keeps the file\'s input and output shapes', async () => {
    for (const name of ['seed_mobilenetv2_035_96_int8.tflite', 'coral-mobilenet_v2_1.0_224_quant.tflite', 'yolox_nano_int8_quantize.tflite']) {
      const { onnx, model } = await importTflite(fs.readFileSync(fileOf(name)));
      const graph = OnnxGraph.read(onnx);
      assert.deepEqual(graph.inputs[0].dims.map(Number), model.tensors[model.inputs[0]].shape, name);
      assert.deepEqual(graph.outputs[0].dims, model.tensors[model.outputs[0]].shape, name);
      const producer = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n])));
      const consumers = (value) => graph.nodes.filter((n) => n.inputs.includes(value));
      // Through quantization and activations, what computes a value and what reads it.
      const passThrough = new Set(['QuantizeLinear', 'DequantizeLinear', 'Relu', 'Clip', 'Sigmoid', 'Mul', 'Add']);
      const up = (value) => {
        for (let node = producer.get(value); node; node = producer.get(node.inputs[0])) if (!passThrough.has(node.op)) return node.op;
        return 'input';
      };
      const down = (value) => consumers(value).flatMap((n) => (passThrough.has(n.op) ? down(n.outputs[0]) : [n.op]));
      const between = graph.nodes.filter((n) => n.op === 'Transpose' && up(n.inputs[0]) === 'Conv' && down(n.outputs[0]).includes('Conv'));
      assert.equal(between.length, 0, `${name}: ${between.length} Transposes between convolutions`);
      const convs = graph.nodes.filter((n) => n.op === 'Conv').length;
      const transposes = graph.nodes.filter((n) => n.op === 'Transpose').length;
      assert.ok(convs > 10 && transposes <= 8, `${name}: ${convs} Conv, ${transposes} Transpose`);
    }
  });

  it('symmetric weights (opt-in) for the Coral uint8 file: the interpreter\'s top-1 on all seven photos, scores within a few steps', async () => {
    const name = 'coral-mobilenet_v2_1.0_224_quant.tflite';
    const { onnx, requantizedChannels } = await importTflite(fs.readFileSync(fileOf(name)), { symmetricWeights: true });
    // Of 18,057 weight channels, those not within 127 of their zero point.
    assert.ok(requantizedChannels > 0 && requantizedChannels < 100, `${requantizedChannels} channels requantized`);
    const graph = OnnxGraph.read(onnx);
    const weightZeroPoints = graph.nodes.filter((n) => n.op === 'DequantizeLinear' && graph.initializer(n.inputs[0])?.dataType === 3).map((n) => graph.initializer(n.inputs[2]));
    assert.ok(weightZeroPoints.length >= 53 && weightZeroPoints.every((z) => z.data.every((v) => v === 0)), 'every weight symmetric');
    const session = await ort.InferenceSession.create(onnx, { logSeverityLevel: 3 });
    const inputs = readNpy(path.join(SEED, golden[name].inputs_file)).values;
    const expected = readNpy(path.join(SEED, golden[name].outputs[0].file)).values;
    const per = 224 * 224 * 3;
    const argmax = (values) => values.reduce((best, v, i) => (v > values[best] ? i : best), 0);
    for (let k = 0; k < golden[name].photos.length; k++) {
      const out = (await session.run({ input: new ort.Tensor('uint8', inputs.slice(k * per, (k + 1) * per), [1, 224, 224, 3]) }))[session.outputNames[0]].data;
      const theirs = expected.slice(k * 1001, (k + 1) * 1001);
      assert.equal(argmax(out), argmax(theirs), golden[name].photos[k]);
      out.forEach((v, i) => assert.ok(Math.abs(v * 256 - theirs[i]) <= 10, `${golden[name].photos[k]} class ${i}: ${v * 256} vs ${theirs[i]} steps`));
    }
  });

  it('reads Model Maker metadata: labels from the packed file, normalisation, name', async () => {
    const { onnx, metadata } = await importTflite(fs.readFileSync(fileOf('coral-mobilenet_v2_1.0_224_quant.tflite')));
    assert.equal(metadata.labels.length, 1001);
    assert.equal(metadata.labels[0], 'background');
    assert.equal(metadata.labels[653], 'military uniform');
    assert.deepEqual([metadata.mean, metadata.std], [[127.5], [127.5]]);
    const graph = OnnxGraph.read(onnx);
    assert.match(graph.metadata('names'), /^\{0: "background", 1: "tench, Tinca tinca", /);
    assert.equal(graph.metadata('input_normalization'), '(pixel - 127.5) / 127.5');
    assert.equal(graph.metadata('converted_from'), 'tflite');
  });
});

describe('TFLite importer: bad files', function () {
  this.timeout(60000);

  it('refuses a zero point outside its tensor\'s type, which would wrap and shift every value (second pass, defect 8)', async () => {
    for (const [type, zeroPoint] of [['int8', 300], ['uint8', -5], ['int8', -129], ['uint8', 256]]) {
      const bytes = buildTflite({
        tensors: [
          { name: 'x', type, shape: [1, 4], quantization: { scale: [0.5], zeroPoint: [zeroPoint] } },
          { name: 'y', type, shape: [1, 4], quantization: { scale: [0.5], zeroPoint: [0] } },
        ],
        inputs: [0], outputs: [1], operators: [{ op: 'RELU', inputs: [0], outputs: [1] }],
      });
      await assert.rejects(importTflite(bytes), (err) => err instanceof TfliteImportError
        && new RegExp(`zero point ${zeroPoint}, outside the range of ${type}`).test(err.message), `${type} zero point ${zeroPoint}`);
    }
    // The edges of each range import.
    const edge = buildTflite({
      tensors: [
        { name: 'x', type: 'int8', shape: [1, 4], quantization: { scale: [0.5], zeroPoint: [-128] } },
        { name: 'y', type: 'int8', shape: [1, 4], quantization: { scale: [0.5], zeroPoint: [127] } },
      ],
      inputs: [0], outputs: [1], operators: [{ op: 'RELU', inputs: [0], outputs: [1] }],
    });
    await importTflite(edge);
  });

  it('reads only the labels file of a packed zip: overlapping 16 MB entries are listed, never inflated (second pass, defect 4)', async () => {
    const crc32 = require('buffer-crc32');
    const zlib = require('node:zlib');
    const ENTRY = 16 * 2 ** 20;
    const zeros = Buffer.alloc(ENTRY);
    const data = zlib.deflateRawSync(zeros);
    const crc = crc32.unsigned(zeros);
    // One local file, named by 16 central-directory entries that all point at it; offsets count
    // from the start of the .tflite the zip is appended to, as Model Maker writes them.
    const model = tinyAddRelu();
    const names = Array.from({ length: 16 }, (_, i) => `part-${i}.bin`);
    const local = Buffer.alloc(30 + names[0].length);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14); local.writeUInt32LE(data.length, 18); local.writeUInt32LE(ENTRY, 22); local.writeUInt16LE(names[0].length, 26);
    local.write(names[0], 30, 'latin1');
    const central = names.map((name) => {
      const c = Buffer.alloc(46 + name.length);
      c.writeUInt32LE(0x02014b50, 0); c.writeUInt16LE(20, 4); c.writeUInt16LE(20, 6); c.writeUInt16LE(8, 10);
      c.writeUInt32LE(crc, 16); c.writeUInt32LE(data.length, 20); c.writeUInt32LE(ENTRY, 24); c.writeUInt16LE(name.length, 28);
      c.writeUInt32LE(model.length, 42); c.write(name, 46, 'latin1');
      return c;
    });
    const directory = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(names.length, 8); end.writeUInt16LE(names.length, 10);
    end.writeUInt32LE(directory.length, 12); end.writeUInt32LE(model.length + local.length + data.length, 16);
    const bytes = Buffer.concat([model, local, data, directory, end]);
    // Counted, not timed: the chunks inflate streams take in while the file imports.
    const proto = require('node:zlib').InflateRaw.prototype;
    const transform = proto._transform;
    let inflated = 0;
    proto._transform = function (...args) { inflated++; return transform.apply(this, args); };
    let metadata;
    try {
      ({ metadata } = await importTflite(bytes));
    } finally {
      proto._transform = transform;
    }
    assert.deepEqual(metadata.files, names, 'every packed file is listed');
    assert.equal(metadata.labels, undefined);
    assert.equal(inflated, 0, `${inflated} chunks inflated from ${names.length} entries that are no labels file`);
  });

  it('imports one operator listed thousands of times in work that grows with the count, not its square (second pass, defect 7)', async () => {
    const n = 4000;
    const bytes = buildTflite({
      tensors: Array.from({ length: n + 1 }, (_, i) => ({ name: `t${i}`, type: 'float32', shape: [1, 4] })),
      inputs: [0], outputs: [n], operators: Array.from({ length: n }, (_, i) => ({ op: 'RELU', inputs: [i], outputs: [i + 1] })),
    });
    // Look-ups counted, not milliseconds: load stretches time, not counts.
    const setHas = Set.prototype.has;
    const mapHas = Map.prototype.has;
    let lookups = 0;
    Set.prototype.has = function (value) { lookups++; return setHas.call(this, value); };
    Map.prototype.has = function (value) { lookups++; return mapHas.call(this, value); };
    try {
      await importTflite(bytes);
    } finally {
      Set.prototype.has = setHas;
      Map.prototype.has = mapHas;
    }
    assert.ok(lookups / n < 200, `${lookups} set and map look-ups for ${n} operators`);
  });
  const seedBytes = fs.readFileSync(path.join(SEED, 'seed_small_cnn_96_int8.tflite'));

  async function refusal(bytes) {
    try {
      await importTflite(bytes);
    } catch (err) {
      return err;
    }
    assert.fail('imported');
  }

  it('names a truncated file, offsets outside it and a wrong identifier', async () => {
    let err = await refusal(seedBytes.subarray(0, 4000));
    assert.ok(err instanceof TfliteImportError && err.problem === 'invalid', err.stack);
    assert.match(err.message, /outside the 4000 bytes there are/);
    const broken = Buffer.from(seedBytes);
    broken.writeUInt32LE(seedBytes.length + 100, 0);
    err = await refusal(broken);
    assert.match(err.message, /outside the \d+ bytes there are/);
    const renamed = Buffer.from(seedBytes);
    renamed.write('XXXX', 4, 'latin1');
    err = await refusal(renamed);
    assert.match(err.message, /file identifier is "XXXX", not "TFL3"/);
    err = await refusal(Buffer.from('TFL3'));
    assert.match(err.message, /4 bytes are too few/);
  });

  it('lists every operator it does not map, with how often each occurs', async () => {
    const bytes = tinyAddRelu({
      tensors: [{ name: 'm', type: 'float32', shape: [1, 4] }, { name: 'm2', type: 'float32', shape: [1, 4] }, { name: 'p', type: 'float32', shape: [1, 4] }],
      operators: [
        { op: 'FLOOR_MOD', inputs: [3, 1], outputs: [4] },
        { op: 'FLOOR_MOD', inputs: [4, 1], outputs: [5] },
        { custom: 'TFLite_Detection_PostProcess', inputs: [5], outputs: [6] },
      ],
    });
    const err = await refusal(bytes);
    assert.equal(err.problem, 'unsupported');
    assert.equal(err.message, 'operators not supported: FLOOR_MOD ×2, CUSTOM:TFLite_Detection_PostProcess ×1');
  });

  it('imports a model built in code and computes it (ADD with a constant, then RELU)', async () => {
    const { onnx } = await importTflite(tinyAddRelu());
    const session = await ort.InferenceSession.create(onnx);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(1, 1, 1, 1), [1, 4]) });
    assert.deepEqual(Array.from(out.y.data), [2, 0, 4, 0]);
  });

  it('1,000 mutated files: each imports or is refused with a TfliteImportError, quickly', async () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let imported = 0;
    let slowest = 0;
    const small = tinyAddRelu();
    for (let i = 0; i < 1000; i++) {
      const base = i % 2 ? seedBytes : small;
      const bytes = Buffer.from(base);
      const edits = 1 + Math.floor(random() * 8);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * bytes.length);
        if (random() < 0.3) bytes.writeUInt32LE(Math.floor(random() * 2 ** 32), Math.min(at, bytes.length - 4));
        else bytes[at] = Math.floor(random() * 256);
      }
      const cut = random() < 0.1 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
      const started = process.hrtime.bigint();
      try {
        await importTflite(cut);
        imported++;
      } catch (err) {
        assert.ok(err instanceof TfliteImportError, `mutation ${i}: ${err.stack}`);
        assert.ok(err.message.length < 2000, `mutation ${i}: a message of ${err.message.length} characters`);
      }
      slowest = Math.max(slowest, Number(process.hrtime.bigint() - started) / 1e6);
    }
    assert.ok(slowest < 5000, `slowest import ${slowest} ms`);
    assert.ok(imported > 0 && imported < 1000, `${imported} of 1,000 imported`);
  });

  it('edge-ai-model convert writes the ONNX model the model node would load; inspect lists operators, tensors, quantization and metadata', () => {
    const { execFileSync } = require('node:child_process');
    const os = require('node:os');
    const cli = (...args) => execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'edge-ai-model.js'), ...args], { encoding: 'utf8', stdio: 'pipe' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-convert-'));
    try {
      const out = path.join(dir, 'coral.onnx');
      assert.match(cli('convert', fileOf('coral-mobilenet_v2_1.0_224_quant.tflite'), '--out', out), /coral\.onnx: ONNX opset 17, 3\.\d MB, from 66 TFLite operators \(36 CONV_2D, 17 DEPTHWISE_CONV_2D/);
      const graph = OnnxGraph.read(fs.readFileSync(out));
      assert.equal(graph.metadata('converted_from'), 'tflite');
      const report = cli('inspect', fileOf('coral-mobilenet_v2_1.0_224_quant.tflite'));
      assert.match(report, /^operators \(66\): CONV_2D ×36, DEPTHWISE_CONV_2D ×17, ADD ×10, AVERAGE_POOL_2D ×1, RESHAPE ×1, SOFTMAX ×1$/m);
      assert.match(report, /^input  input uint8\[1,224,224,3\] scale 0\.00781250 zero point 128$/m);
      assert.match(report, /^labels: 1001 from imagenet_labels\.txt/m);
      assert.match(report, /^input normalisation: \(x - 127\.5\) \/ 127\.5$/m);
      const unmapped = path.join(dir, 'unmapped.tflite');
      fs.writeFileSync(unmapped, tinyAddRelu({ tensors: [{ name: 'm', type: 'float32', shape: [1, 4] }], operators: [{ op: 'FLOOR_MOD', inputs: [3, 1], outputs: [4] }] }));
      assert.throws(() => cli('convert', unmapped), /unmapped\.tflite: operators not supported: FLOOR_MOD ×1/);
      // A float Keras file made int8 on the device: imported, then quantized like any float ONNX model.
      const { images } = require('../helpers/paths');
      const said = cli('quantize', path.join(SEED, 'seed_mobilenetv2_035_96_float.tflite'), '--images', images, '--max-images', '4', '--out', path.join(dir, 'q.onnx'));
      assert.match(said, /q\.onnx: .* int8: .*\b52 Conv\b/);
      const quantized = OnnxGraph.read(fs.readFileSync(path.join(dir, 'q.onnx')));
      assert.ok(quantized.nodes.filter((n) => n.op === 'QuantizeLinear').length > 30);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the operators, tensors and quantization it reports', () => {
    const model = readTfliteModel(fs.readFileSync(fileOf('coral-mobilenet_v2_1.0_224_quant.tflite')));
    const input = model.tensors[model.inputs[0]];
    assert.deepEqual([input.type, input.shape, input.quantization.scale, input.quantization.zeroPoint], ['uint8', [1, 224, 224, 3], [0.0078125], [128]]);
    assert.equal(model.operators.filter((o) => o.op === 'CONV_2D').length, 36);
  });
});
