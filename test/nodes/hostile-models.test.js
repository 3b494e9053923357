'use strict';
// Model files from elsewhere: 1,000 mutants of a small real-shaped model, weights kept in files
// outside the model's folder, and onnxruntime dying while it opens a model. Node-RED must keep
// running, refuse what it cannot trust, and say why.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { random } = require('../helpers/stats');
const { helper, load, collect } = require('../helpers/flow');
const { models } = require('../helpers/paths');
const { buildModel, bytesField, intField, tinyClassifier } = require('../helpers/onnx-builder');
const { childProcesses } = require('../helpers/processes');
/** Our own checker processes (not another test run's on the same machine). */
const checkers = () => childProcesses().filter((c) => c.state !== 'Z' && c.args.includes(CHECKER_FLAG));
const { until } = require('../helpers/wait');
const { ModelHost, CHECKER_FLAG } = require('../../dist/lib/model');
const { EdgeAiError } = require('../../dist/lib/errors');

const MUTANTS = Number(process.env.EDGE_AI_FUZZ_MODELS ?? 1000);

/** An image classifier small enough to load in milliseconds: conv, relu, pool, gemm, softmax. */
function smallClassifier() {
  const r = random(5);
  const values = (n) => Array.from({ length: n }, () => r() - 0.5);
  return buildModel({
    nodes: [
      ['Conv', ['image', 'w', 'b'], ['c'], { strides: [2, 2], pads: [1, 1, 1, 1] }],
      ['Relu', ['c'], ['r']],
      ['GlobalAveragePool', ['r'], ['g']],
      ['Flatten', ['g'], ['f']],
      ['Gemm', ['f', 'fc', 'fcb'], ['logits'], { transB: 1 }],
      ['Softmax', ['logits'], ['scores'], { axis: 1 }],
    ],
    initializers: [
      ['w', 'float32', [8, 3, 3, 3], values(216)], ['b', 'float32', [8], values(8)],
      ['fc', 'float32', [5, 8], values(40)], ['fcb', 'float32', [5], values(5)],
    ],
    inputs: [['image', 'float32', [1, 3, 32, 32]]],
    outputs: [['scores', 'float32', [1, 5]]],
  });
}

const config = (file) => ({
  path: file, task: 'auto', yoloLayout: 'auto', labels: { kind: 'none' }, threads: 1, spinning: false, unsignedInt8: true, checkFirst: true, watch: false,
});

/**
 * A model y = x + w whose w lives in an external data file at `location`. `where`: an
 * initializer of the graph, an initializer in a second graph field (protobuf merges it into
 * the first), or the value of a Constant node.
 */
function externalDataModel(location, where = 'initializer') {
  const entry = (key, value) => bytesField(13, Buffer.concat([bytesField(1, key), bytesField(2, value)]));
  const tensor = Buffer.concat([intField(1, 4), intField(2, 1), bytesField(8, 'w'), entry('location', location), entry('offset', '0'), entry('length', '16'), intField(14, 1)]);
  const base = buildModel({ nodes: [['Add', ['x', 'w'], ['y']]], inputs: [['x', 'float32', [4]]], outputs: [['y', 'float32', [4]]] });
  const { fields } = require('../../dist/lib/onnx');
  const top = [...fields(base)];
  const parts = top.map((f) => base.subarray(f.tagStart, f.end));
  const graphAt = top.findIndex((f) => f.number === 7);
  const body = base.subarray(top[graphAt].start, top[graphAt].end);
  if (where === 'initializer') parts[graphAt] = bytesField(7, Buffer.concat([body, bytesField(5, tensor)]));
  if (where === 'second graph') parts.splice(graphAt + 1, 0, bytesField(7, bytesField(5, tensor)));
  if (where === 'constant') {
    // NodeProto: output "w", op_type "Constant", attribute value (t, type TENSOR).
    const constant = Buffer.concat([bytesField(2, 'w'), bytesField(4, 'Constant'), bytesField(5, Buffer.concat([bytesField(1, 'value'), bytesField(5, tensor), intField(20, 4)]))]);
    parts[graphAt] = bytesField(7, Buffer.concat([bytesField(1, constant), body]));
  }
  return Buffer.concat(parts);
}

describe('hostile and broken models', function () {
  this.timeout(900000);
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-hostile-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterEach(() => helper.unload());

  it(`${MUTANTS} mutated model files each load or fail with a clear error, and the process lives on`, async () => {
    const original = smallClassifier();
    const next = random(1130);
    const pick = (n) => Math.floor(next() * n);
    const outcomes = { loaded: 0, refused: 0, crashed: 0 };
    const reasons = new Map();
    for (let i = 0; i < MUTANTS; i++) {
      const data = Buffer.from(original);
      switch (i % 4) {
        case 0: for (let k = 1 + pick(8); k > 0; k--) data[pick(data.length)] ^= 1 << pick(8); break;
        case 1: data.fill(pick(256), pick(data.length), pick(data.length)); break;
        case 2: data[pick(data.length)] = pick(256); data[pick(data.length)] = 0xff; break;
        default: fs.writeFileSync(path.join(dir, 'm.onnx'), data.subarray(0, pick(data.length))); break;
      }
      if (i % 4 !== 3) fs.writeFileSync(path.join(dir, 'm.onnx'), data);
      // A new file each time: the checker remembers files that passed.
      const file = path.join(dir, `m${i}.onnx`);
      fs.renameSync(path.join(dir, 'm.onnx'), file);
      try {
        const host = await ModelHost.create(config(file));
        outcomes.loaded++;
        await host.release();
      } catch (err) {
        assert.ok(err instanceof EdgeAiError, `mutant ${i}: ${err}`);
        assert.ok(err.message.includes(file), `mutant ${i} names its file: ${err.message}`);
        outcomes[err.code === 'modelCrashed' ? 'crashed' : 'refused']++;
        reasons.set(err.code, (reasons.get(err.code) ?? 0) + 1);
      }
      fs.rmSync(file);
    }
    if (process.env.EDGE_AI_TEST_VERBOSE) console.log(`      ${JSON.stringify(outcomes)} ${JSON.stringify(Object.fromEntries(reasons))}`);
    assert.equal(outcomes.loaded + outcomes.refused + outcomes.crashed, MUTANTS);
    assert.ok(outcomes.refused > MUTANTS / 4, JSON.stringify(outcomes));
  });

  it('if onnxruntime dies while opening a model, the model is refused and Node-RED keeps running', async () => {
    // A copy: earlier tests in this process may have checked the original, and a file that
    // passed is not checked again.
    const file = path.join(dir, 'yolov8n_640_agpl.onnx');
    fs.copyFileSync(path.join(models, 'detection', 'yolov8n_640_agpl.onnx'), file);
    // The checker opens and runs YOLOv8n for a few hundred milliseconds: it dies in the middle.
    await until(() => checkers().length === 0, 'an idle checker from earlier tests to exit', 10000);
    const pending = ModelHost.create({ ...config(file), labels: { kind: 'auto' } });
    await until(() => checkers().length === 1, 'the checker process');
    process.kill(checkers()[0].pid, 'SIGSEGV');
    await assert.rejects(pending, (err) => err.code === 'modelCrashed' && /crashed while loading .*yolov8n_640_agpl.onnx in a separate process \(signal SIGSEGV/.test(err.message));
    // The next model starts a new checker and loads.
    const host = await ModelHost.create(config(path.join(models, 'classification', 'mobilenet_v1_025_128_fp32.onnx')));
    assert.deepEqual(host.info.input.dims, [1, 3, 128, 128]);
    await host.release();
    // And the checker goes away when idle.
    await until(() => checkers().length === 0, 'the idle checker to exit', 10000);
  });

  it('refuses a labels file larger than labels ever are, before reading it whole (second pass, defect 10)', async () => {
    const file = path.join(dir, 'tiny.onnx');
    fs.writeFileSync(file, tinyClassifier(8));
    // 140 MB of empty lines made V8 abort ("invalid size error") while splitting them; 5 MB is refused by size.
    const labels = path.join(dir, 'huge-labels.txt');
    fs.writeFileSync(labels, Buffer.alloc(5 * 2 ** 20, 0x0a));
    await assert.rejects(ModelHost.create({ ...config(file), task: 'classification', labels: { kind: 'file', path: labels } }),
      (err) => err.code === 'labelsFile' && /more than the 4 MB a labels file may hold/.test(err.message));
    const { parseLabelLines } = require('../../dist/lib/model');
    assert.throws(() => parseLabelLines('\n'.repeat(5 * 2 ** 20)), /more than the 4 MB/);
    assert.throws(() => parseLabelLines('x\n'.repeat(200001)), /more than the 100000 classes/);
  });

  it('a check sent just as the idle checker is told to stop starts a new checker instead of failing', async () => {
    const { modelChecker } = require('../../dist/lib/model');
    const first = path.join(dir, 'first.onnx');
    const second = path.join(dir, 'second.onnx');
    fs.writeFileSync(first, smallClassifier());
    fs.writeFileSync(second, smallClassifier());
    await modelChecker.check(config(first));
    // The idle stop disconnects the process; a check in the same tick must not reach the old channel.
    modelChecker.stop();
    await modelChecker.check(config(second));
    await until(() => checkers().length <= 1, 'the stopped checker to exit', 10000);
  });

  it('passes models with a dynamic height and width through the check (tried at 320x320)', async () => {
    // A 3x3 convolution without padding: a 1x1 trial image would not fit it.
    const file = path.join(dir, 'dynamic.onnx');
    fs.writeFileSync(file, buildModel({
      nodes: [['Conv', ['image', 'w'], ['c']], ['GlobalAveragePool', ['c'], ['g']], ['Flatten', ['g'], ['scores']]],
      initializers: [['w', 'float32', [4, 3, 3, 3], Array.from({ length: 108 }, (_, i) => (i % 7) / 10)]],
      inputs: [['image', 'float32', ['batch', 3, 'height', 'width']]],
      outputs: [['scores', 'float32', ['batch', 4]]],
    }));
    const host = await ModelHost.create({ ...config(file), task: 'raw' });
    assert.equal(host.info.input.dims[1], 3);
    await host.release();
  });

  it('refuses weights kept outside the model\'s folder (.., absolute, a link out), and loads those inside', async () => {
    const folder = path.join(dir, 'model');
    const outside = path.join(dir, 'elsewhere');
    fs.mkdirSync(folder);
    fs.mkdirSync(outside);
    const weights = Buffer.from(new Float32Array([10, 20, 30, 40]).buffer);
    fs.writeFileSync(path.join(folder, 'weights.bin'), weights);
    fs.writeFileSync(path.join(outside, 'secret.bin'), weights);
    fs.symlinkSync(path.join(outside, 'secret.bin'), path.join(folder, 'link.bin'));
    const cases = {
      '../elsewhere/secret.bin': /climbs out of the model's folder/,
      [path.join(outside, 'secret.bin')]: /an absolute path/,
      'link.bin': /a link leading out of the model's folder/,
      'missing.bin': /no such file beside the model/,
    };
    for (const [location, reason] of Object.entries(cases)) {
      const file = path.join(folder, 'm.onnx');
      fs.writeFileSync(file, externalDataModel(location));
      await assert.rejects(ModelHost.create({ ...config(file), checkFirst: false }), (err) => err.code === 'modelExternalData' && reason.test(err.message), location);
      await assert.rejects(ModelHost.create(config(file)), (err) => err.code === 'modelExternalData', `${location}, checked first`);
    }
    // Hidden elsewhere than the graph's initializers: refused all the same.
    for (const where of ['second graph', 'constant']) {
      const file = path.join(folder, 'hidden.onnx');
      fs.writeFileSync(file, externalDataModel('../elsewhere/secret.bin', where));
      await assert.rejects(ModelHost.create({ ...config(file), checkFirst: false }), (err) => err.code === 'modelExternalData' && /climbs out/.test(err.message), where);
    }
    // Inside the folder: loads (from its path, where onnxruntime finds the weights).
    const file = path.join(folder, 'inside.onnx');
    fs.writeFileSync(file, externalDataModel('weights.bin'));
    const ort = require('onnxruntime-node');
    const session = await ort.InferenceSession.create(file);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(1, 1, 1, 1), [4]) });
    assert.deepEqual(Array.from(out.y.data), [11, 21, 31, 41]);
    await session.release();
    const { info } = await require('../../dist/lib/model').describeModel(config(file));
    assert.equal(info.externalData, true);
  });

  it('a broken model file in a flow gives the infer node an error naming the file, which a Catch node receives', async () => {
    const broken = path.join(dir, 'broken.onnx');
    const good = smallClassifier();
    fs.writeFileSync(broken, Buffer.concat([good.subarray(0, 200), Buffer.alloc(64, 0xff)]));
    await load([
      { id: 'bad', type: 'edge-ai-model', path: broken },
      { id: 'infer', type: 'edge-ai-infer', model: 'bad', wires: [['out']] },
      { id: 'out', type: 'helper' },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const caught = collect('caught', 1);
    helper.getNode('infer').receive({ payload: { data: Buffer.alloc(3 * 32 * 32 * 4), dims: [1, 3, 32, 32], type: 'float32', layout: 'NCHW' } });
    assert.match((await caught)[0].error.message, /broken\.onnx/);
  });
});
