'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, load, collect, statusOf } = require('../helpers/flow');
const { images, models } = require('../helpers/paths');

const MOBILENET = path.join(models, 'classification', 'mobilenet_v2_224_int8_qdq.onnx');
const IMAGENET_LABELS = path.join(models, 'classification', 'imagenet_labels_1001.txt');
/** Read when a test runs, so that a clone without the photo skips this file instead of failing to load it. */
const orange = () => fs.readFileSync(path.join(images, 'orange.jpg'));

function flow(modelOver = {}, preOver = {}) {
  return [
    { id: 'model', type: 'edge-ai-model', path: MOBILENET, task: 'classification', labelsSource: 'file', labelsFile: IMAGENET_LABELS, preResize: 'crop', preNormalize: 'signed', ...modelOver },
    { id: 'pre', type: 'edge-ai-preprocess', settings: 'model', model: 'model', ...preOver, wires: [['infer']] },
    { id: 'infer', type: 'edge-ai-infer', model: 'model', mode: 'batch', wires: [['out']] },
    { id: 'trigger', type: 'edge-ai-trigger', labels: 'orange', wires: [['out']] },
    { id: 'out', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
}

/** Send a msg and wait for the error a Catch node receives. */
async function caughtError(nodeId, msg, failingNode = nodeId) {
  const got = collect('caught', 1, 20000);
  helper.getNode(nodeId).receive(msg);
  const [caught] = await got;
  assert.equal(caught.error.source.id, failingNode);
  return caught.error.message;
}

/** After a failure the runtime still classifies a good photo. */
async function stillWorks() {
  const got = collect('out', 1);
  helper.getNode('pre').receive({ payload: orange() });
  const [msg] = await got;
  assert.equal(msg.payload[0].label, 'orange');
}

describe('bad input gives a clear error and the runtime keeps running', function () {
  let tmp;
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-errors-')); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  afterEach(() => helper.unload());

  it('a non-image payload and a corrupt JPEG reach the Catch node', async () => {
    await load(flow());
    assert.match(await caughtError('pre', { payload: 'hello' }), /Expected an encoded image Buffer .* but received string/);
    assert.match(await caughtError('pre', { payload: { width: 3 } }), /received object \{width\}/);
    const corrupt = Buffer.from(orange().subarray(0, 3000));
    assert.match(await caughtError('pre', { payload: corrupt }), /Could not decode the jpeg image in msg.payload \(3000 bytes\)/);
    await stillWorks();
  });

  it('pixels that do not fit the conversion they carry are refused before the run', async () => {
    await load(flow());
    const pixels = { data: Buffer.alloc(100 * 50 * 3), dims: [1, 50, 100, 3], type: 'uint8', layout: 'NHWC' };
    const convert = { type: 'float32', layout: 'NCHW', order: 'RGB', mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5], dims: [1, 3, 224, 224] };
    const outside = { ...convert, placement: { x: 200, y: 0, width: 100, height: 50, padValue: 0 } };
    assert.match(await caughtError('infer', { payload: { ...pixels, convert: outside } }),
      /The pixels in msg.payload are \[1,50,100,3\] but msg.payload.convert places a 100x50 image in the tensor \[1,3,224,224\]/);
    assert.match(await caughtError('infer', { payload: { ...pixels, convert } }), /places a 224x224 image/);
    await stillWorks();
  });

  it('a tensor of the wrong shape names both shapes', async () => {
    await load(flow({}, { settings: 'manual', width: 128, height: 128, resizeMode: 'stretch', normalize: 'signed' }));
    const message = await caughtError('pre', { payload: orange() }, 'infer');
    assert.match(message, /Expected a float32 tensor of dims \[1,3,224,224\] for input "input" .* but received float32 \[1,3,128,128\]/);
    assert.match(await caughtError('infer', { payload: orange() }), /Expected a tensor \{data, dims, type\} .* received Buffer/);
  });

  it('a missing model file turns the status red and fails each msg', async () => {
    const missing = path.join(tmp, 'nope.onnx');
    await load(flow({ path: missing }));
    await statusOf('infer', (s) => s.fill === 'red' && /not found/.test(s.text));
    assert.match(await caughtError('infer', { payload: {} }), new RegExp(`Model file not found: ${missing}`));
  });

  it('a corrupt model file is refused by onnxruntime with the path named', async () => {
    const corrupt = path.join(tmp, 'corrupt.onnx');
    const bytes = fs.readFileSync(MOBILENET);
    fs.writeFileSync(corrupt, bytes.subarray(0, bytes.length / 3));
    await load(flow({ path: corrupt }));
    const message = await caughtError('infer', { payload: {} });
    assert.match(message, /corrupt\.onnx/);
    assert.match(message, /could not load|not an ONNX model/);
  });

  it('a labels file with the wrong count says both counts', async () => {
    await load(flow({ labelsFile: path.join(models, 'detection', 'coco_classes.txt') }));
    assert.match(await caughtError('infer', { payload: {} }), /have 80 entries but the model outputs 1001 classes/);
  });

  it('a SHA-256 pin that does not match refuses the model', async () => {
    await load(flow({ sha256: '0'.repeat(64) }));
    assert.match(await caughtError('infer', { payload: {} }), /pinned to 0{64}; refusing to load it/);
  });

  it('a bad setting is named at deploy', async () => {
    await load(flow({ threads: 99 }));
    assert.match(await caughtError('infer', { payload: {} }), /Setting "threads" must be an integer from 1 to 16 but is 99/);
  });

  it('the trigger names what it expected', async () => {
    await load(flow());
    assert.match(await caughtError('trigger', { payload: Buffer.alloc(4) }), /Expected an array of results .* received Buffer of 4 bytes/);
    await stillWorks();
  });
});
