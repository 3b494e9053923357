'use strict';
// TensorFlow Lite files in a real Node-RED flow: a model node given nothing but the path of a
// .tflite file imports it in its worker, caches the import, and the doctor sets up the rest
// from the file's metadata. Files that cannot be imported fail each msg with the reason.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, load, collect } = require('../helpers/flow');
const { images, models, IMAGENET_PHOTOS: PHOTOS } = require('../helpers/paths');
const { tinyAddRelu } = require('../helpers/tflite-builder');

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
    assert.deepEqual(fs.readdirSync(cache), [`${info.sha256}.tflite-v1.onnx`]);
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
