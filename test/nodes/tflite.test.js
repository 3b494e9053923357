'use strict';
// TensorFlow Lite files in a real Node-RED flow: a model node given nothing but the path of a
// .tflite file imports it in its worker, caches the import, and the doctor sets up the rest
// from the file's metadata. Files that cannot be imported fail each msg with the reason.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, load, collect } = require('../helpers/flow');
const { until } = require('../helpers/wait');
const { images, models } = require('../helpers/paths');
const { IMAGENET_PHOTOS: PHOTOS } = require('../helpers/imagenet-photos');
const { tinyAddRelu } = require('../helpers/tflite-builder');
const { readNpy } = require('../helpers/npy');

const SEED = path.join(models, 'tflite', 'seed');
const golden = JSON.parse(fs.readFileSync(path.join(SEED, 'golden.json'), 'utf8'));

const CORAL = path.join(models, 'tflite', 'coral-mobilenet_v2_1.0_224_quant.tflite');

describe('TFLite models in Node-RED', function () {
  this.timeout(60000);
  let cache;
  let savedCache;
  before(() => {
    savedCache = process.env.EDGE_AI_CACHE_DIR;
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-tflite-cache-'));
    process.env.EDGE_AI_CACHE_DIR = cache;
  });
  after(() => {
    if (savedCache === undefined) delete process.env.EDGE_AI_CACHE_DIR;
    else process.env.EDGE_AI_CACHE_DIR = savedCache;
    fs.rmSync(cache, { recursive: true, force: true });
  });
  afterEach(() => helper.unload());

  const flow = (file) => [
    { id: 'model', type: 'edge-ai-model', path: file, threads: 1 },
    { id: 'pre', type: 'edge-ai-preprocess', model: 'model', wires: [['infer']] },
    { id: 'infer', type: 'edge-ai-infer', model: 'model', mode: 'batch', topK: 3, wires: [['out']] },
    { id: 'out', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];

  it('the Coral MobileNetV2 uint8 file, given only its path, gives the known top-1 on the five photos (labels from the file)', async () => {
    await load(flow(CORAL));
    const names = Object.keys(PHOTOS);
    const results = collect('out', names.length);
    for (const name of names) helper.getNode('pre').receive({ topic: name, payload: fs.readFileSync(path.join(images, name)) });
    for (const msg of await results) {
      assert.equal(msg.payload[0].label.split(',')[0], PHOTOS[msg.topic], `${msg.topic}: ${JSON.stringify(msg.payload)}`);
      assert.ok(msg.payload[0].score > 0.3, `${msg.topic}: ${msg.payload[0].score}`);
    }
    const lease = helper.getNode('model').acquire();
    const { info } = await lease.ready;
    await lease.release();
    assert.equal(info.format, 'tflite');
    assert.deepEqual(info.input.dims, [1, 224, 224, 3]);
    assert.equal(info.input.type, 'uint8');
    // The import is cached under the file's SHA-256 for the next start.
    const { importerFingerprint } = require('../../dist/lib/model');
    const cached = `${info.sha256}.tflite-${importerFingerprint()}.onnx`;
    assert.ok(fs.readdirSync(cache).includes(cached), fs.readdirSync(cache).join(', '));
    // A damaged cache file is converted again; an import by another importer version is removed.
    fs.writeFileSync(path.join(cache, cached), 'damaged');
    fs.writeFileSync(path.join(cache, `${info.sha256}.tflite-0123456789ab.onnx`), 'old');
    await helper.unload();
    await load(flow(CORAL));
    const again = collect('out', 1);
    helper.getNode('pre').receive({ payload: fs.readFileSync(path.join(images, 'orange.jpg')) });
    assert.equal((await again)[0].payload[0].label, 'orange');
    assert.deepEqual(fs.readdirSync(cache).filter((f) => f.startsWith(info.sha256)), [cached]);
    assert.ok(fs.statSync(path.join(cache, cached)).size > 1e6);
  });

  it('with "symmetric int8 weights" ticked, the Coral file is imported that way (its own cache entry) and still names the orange', async () => {
    await load([{ ...flow(CORAL)[0], tfliteSymmetricWeights: true }, ...flow(CORAL).slice(1)]);
    const got = collect('out', 1);
    helper.getNode('pre').receive({ payload: fs.readFileSync(path.join(images, 'orange.jpg')) });
    assert.equal((await got)[0].payload[0].label, 'orange');
    assert.ok(fs.readdirSync(cache).some((f) => f.endsWith('-symmetric.onnx')), fs.readdirSync(cache).join(', '));
  });

  it('MoveNet lightning finds the 17 keypoints of squat.bmp within 3 % of the image of where the interpreter puts them', async () => {
    const name = 'coral-movenet_single_pose_lightning_ptq.tflite';
    // The interpreter's answers were made on the photo stretched to 192x192: the flow does the same.
    await load([
      { id: 'model', type: 'edge-ai-model', path: path.join(models, 'tflite', name), preSource: 'manual', preResize: 'stretch', preNormalize: 'raw', preChannels: 'rgb', threads: 1 },
      { id: 'pre', type: 'edge-ai-preprocess', settings: 'model', model: 'model', wires: [['infer']] },
      { id: 'infer', type: 'edge-ai-infer', model: 'model', mode: 'batch', confidence: 0.01, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const got = collect('out', 1);
    helper.getNode('pre').receive({ payload: fs.readFileSync(path.join(images, 'squat.bmp')) });
    const [person] = (await got)[0].payload;
    assert.equal(person.points.length, 17);
    const photo = golden[name].photos.indexOf('squat.bmp');
    const expected = readNpy(path.join(SEED, golden[name].outputs[0].file)).values.subarray(photo * 51, photo * 51 + 51);
    const [width, height] = [500, 610];
    person.points.forEach((p, k) => {
      const [y, x] = [expected[k * 3] * height, expected[k * 3 + 1] * width];
      assert.ok(Math.abs(p.x - x) <= 0.03 * width && Math.abs(p.y - y) <= 0.03 * height, `${p.name}: (${p.x}, ${p.y}) vs the interpreter's (${x}, ${y})`);
    });
  });

  it('YOLOX-nano int8: the detections of the interpreter\'s output decoded by the YOLOX decoder, from the same input', async () => {
    const name = 'yolox_nano_int8_quantize.tflite';
    const { decodeDetections } = require('../../dist/lib/decode');
    await load([
      { id: 'model', type: 'edge-ai-model', path: path.join(models, 'tflite', name), labelsSource: 'file', labelsFile: path.join(models, 'detection', 'coco_classes.txt'), threads: 1 },
      { id: 'infer', type: 'edge-ai-infer', model: 'model', mode: 'batch', confidence: 0.3, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const inputs = readNpy(path.join(SEED, golden[name].inputs_file)).values;
    const outputs = readNpy(path.join(SEED, golden[name].outputs[0].file)).values;
    const labels = fs.readFileSync(path.join(models, 'detection', 'coco_classes.txt'), 'utf8').trim().split('\n');
    const per = 3 * 416 * 416;
    const rows = 3549 * 85;
    let found = 0;
    for (const [k, photo] of golden[name].photos.entries()) {
      const got = collect('out', 1);
      helper.getNode('infer').receive({ topic: photo, payload: { data: Buffer.from(inputs.slice(k * per, (k + 1) * per).buffer), dims: [1, 3, 416, 416], type: 'float32' } });
      const mine = (await got)[0].payload;
      const setup = { detector: 'yolox', yoloLayout: 'auto', inputWidth: 416, inputHeight: 416, first: 'PartitionedCall:0', gridScores: [], gridRegressors: [] };
      const theirs = decodeDetections({ 'PartitionedCall:0': { data: outputs.slice(k * rows, (k + 1) * rows), dims: [1, 3549, 85] } }, setup,
        { confidence: 0.3, iou: 0.45, maxDetections: 100, classAgnostic: false }, labels);
      assert.deepEqual(mine.map((d) => d.label), theirs.map((d) => d.label), photo);
      mine.forEach((d, i) => {
        for (const key of ['x', 'y', 'w', 'h']) assert.ok(Math.abs(d.box[key] - theirs[i].box[key]) <= 2, `${photo} ${d.label} ${key}: ${d.box[key]} vs ${theirs[i].box[key]}`);
        assert.ok(Math.abs(d.score - theirs[i].score) <= 0.02, `${photo} ${d.label} score ${d.score} vs ${theirs[i].score}`);
      });
      found += mine.length;
    }
    assert.ok(found > 0, 'some detections on the seven photos');
  });

  it('reloads a watched .tflite file when it changes (float → int8 of the same model), converting the new one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-tflite-reload-'));
    const file = path.join(dir, 'model.tflite');
    fs.copyFileSync(path.join(SEED, 'seed_small_cnn_96_float.tflite'), file);
    try {
      await load([
        { id: 'model', type: 'edge-ai-model', path: file, task: 'classification', labelsSource: 'none', watch: true },
        { id: 'infer', type: 'edge-ai-infer', model: 'model', mode: 'batch', wires: [['out']] },
        { id: 'out', type: 'helper' },
      ]);
      const results = [];
      helper.getNode('out').on('input', (m) => results.push(m));
      const tensor = { data: Buffer.alloc(96 * 96 * 3 * 4), dims: [1, 96, 96, 3], type: 'float32' };
      const infer = helper.getNode('infer');
      infer.receive({ payload: tensor });
      await until(() => results.length === 1, 'a first result');
      const reloaded = new Promise((resolve) => {
        const setStatus = infer.status.bind(infer);
        infer.status = (st) => { setStatus(st); if (st.text === 'edge-ai-infer.status.reloaded') resolve(); };
      });
      fs.copyFileSync(path.join(SEED, 'seed_small_cnn_96_int8.tflite'), `${file}.new`);
      fs.renameSync(`${file}.new`, file);
      await reloaded;
      infer.receive({ payload: tensor });
      await until(() => results.length === 2, 'a result after the reload');
      assert.notEqual(results[1].inference.sha256, results[0].inference.sha256);
      assert.equal(fs.readdirSync(cache).filter((f) => f.endsWith('.onnx')).length >= 2, true, 'both imports cached');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a cut-short file and a file with operators not mapped fail each msg with the reason; the runtime keeps running', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-tflite-bad-'));
    try {
      const cut = path.join(tmp, 'cut.tflite');
      fs.writeFileSync(cut, fs.readFileSync(CORAL).subarray(0, 100000));
      const unmapped = path.join(tmp, 'unmapped.tflite');
      fs.writeFileSync(unmapped, tinyAddRelu({ tensors: [{ name: 'm', type: 'float32', shape: [1, 4] }], operators: [{ op: 'FLOOR_MOD', inputs: [3, 1], outputs: [4] }] }));
      const twoInputs = path.join(tmp, 'two-inputs.tflite');
      fs.writeFileSync(twoInputs, tinyAddRelu({ tensors: [{ name: 'second', type: 'float32', shape: [1, 4] }], inputs: [4] }));
      await load([
        ...flow(CORAL),
        ...[['Cut', cut], ['Unmapped', unmapped], ['Two', twoInputs]].flatMap(([id, file]) => [
          { id: `model${id}`, type: 'edge-ai-model', path: file },
          { id: `infer${id}`, type: 'edge-ai-infer', model: `model${id}`, mode: 'batch', wires: [['out']] },
        ]),
      ]);
      const caught = async (id) => {
        const got = collect('caught', 1, 20000);
        helper.getNode(id).receive({ payload: { data: Buffer.alloc(16), dims: [1, 4], type: 'float32' } });
        return (await got)[0].error.message;
      };
      assert.match(await caught('inferCut'), /cut\.tflite is not a TensorFlow Lite file that can be read: .*outside the 100000 bytes there are/);
      assert.match(await caught('inferUnmapped'), /unmapped\.tflite cannot be converted from TensorFlow Lite: operators not supported: FLOOR_MOD ×1/);
      assert.match(await caught('inferTwo'), /two-inputs\.tflite has 2 inputs \(x, second\)/);
      const good = collect('out', 1);
      helper.getNode('pre').receive({ payload: fs.readFileSync(path.join(images, 'orange.jpg')) });
      assert.equal((await good)[0].payload[0].label, 'orange');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
