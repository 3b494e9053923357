'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, load, collect, delay } = require('../helpers/flow');
const { tinyClassifier } = require('../helpers/onnx-builder');
const { models: registry } = require('../../dist/lib/model');

/** A float32 [1,3,8,8] tensor whose channel means are (r, g, b). */
function tensor(r, g, b) {
  const data = new Float32Array(192);
  data.fill(r, 0, 64);
  data.fill(g, 64, 128);
  data.fill(b, 128);
  return { data: Buffer.from(data.buffer), dims: [1, 3, 8, 8], type: 'float32', layout: 'NCHW' };
}

describe('infer queueing and the shared model worker', function () {
  let modelFile;
  before(() => {
    modelFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-queue-')), 'tiny.onnx');
    fs.writeFileSync(modelFile, tinyClassifier(8, { names: "{0: 'red', 1: 'green', 2: 'blue'}" }));
  });
  after(() => fs.rmSync(path.dirname(modelFile), { recursive: true, force: true }));
  afterEach(() => helper.unload());

  const flow = (inferOver) => [
    { id: 'model', type: 'edge-ai-model', path: modelFile, task: 'classification', labelsSource: 'metadata' },
    { id: 'infer', type: 'edge-ai-infer', model: 'model', topK: 1, ...inferOver, wires: [['out']] },
    { id: 'out', type: 'helper' },
    { id: 'completer', type: 'complete', scope: ['infer'], uncaught: false, wires: [['completed']] },
    { id: 'completed', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];

  /** One msg through first, so the model is loaded before the burst. */
  async function warmUp() {
    const got = collect('out', 1);
    helper.getNode('infer').receive({ payload: tensor(0, 0, 0) });
    await got;
    await delay(100); // its completion hops through the complete node after the output
  }

  /** Collect every msg arriving at a helper node from now on. */
  function counter(nodeId) {
    const got = [];
    helper.getNode(nodeId).on('input', (msg) => got.push(msg));
    return got;
  }

  async function settle(lists, total, timeoutMs = 20000) {
    const until = Date.now() + timeoutMs;
    while (lists.reduce((n, l) => n + l.length, 0) < total && Date.now() < until) await delay(20);
  }

  it('live mode keeps the newest frame, drops the ones it replaced and completes every msg', async () => {
    await load(flow({ mode: 'live' }));
    await warmUp();
    const out = counter('out');
    const completed = counter('completed');
    const caught = counter('caught');
    for (let i = 0; i < 30; i++) helper.getNode('infer').receive({ seq: i, payload: tensor(0.1, 0.2, i === 29 ? 0.9 : 0.3) });
    await settle([completed], 30);
    await delay(200);
    assert.equal(completed.length, 30, 'every msg, dropped or not, completes');
    assert.equal(caught.length, 0);
    assert.ok(out.length >= 2 && out.length < 30, `${out.length} results`);
    const last = out[out.length - 1];
    assert.equal(last.seq, 29, 'the newest frame is always run');
    assert.equal(last.payload[0].label, 'blue');
    assert.equal(last.inference.dropped, 30 - out.length, 'drop counter matches');
    const seqs = out.map((m) => m.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'results keep their order');
  });

  it('batch mode runs everything it accepted and refuses msgs when the queue is full', async () => {
    await load(flow({ mode: 'batch', queueSize: 3 }));
    await warmUp();
    const out = counter('out');
    const caught = counter('caught');
    for (let i = 0; i < 12; i++) helper.getNode('infer').receive({ seq: i, payload: tensor(0.5, 0.1, 0.1) });
    await settle([out, caught], 12);
    assert.equal(out.length + caught.length, 12);
    assert.ok(out.length >= 4, `${out.length} results`);
    assert.ok(caught.length >= 1, 'a full queue refuses');
    for (const c of caught) assert.match(c.error.message, /Batch queue is full \(3 messages waiting\)/);
    assert.ok(out.every((m) => m.payload[0].label === 'red' && m.inference.dropped === 0));
  });

  it('two infer nodes share one worker and the last to close releases it', async () => {
    await load([
      ...flow({ mode: 'batch' }),
      { id: 'infer2', type: 'edge-ai-infer', model: 'model', mode: 'batch', wires: [['out']] },
    ]);
    const got = collect('out', 2);
    helper.getNode('infer').receive({ payload: tensor(0.9, 0, 0) });
    helper.getNode('infer2').receive({ payload: tensor(0, 0, 0.9) });
    const labels = (await got).map((m) => m.payload[0].label).sort();
    assert.deepEqual(labels, ['blue', 'red']);
    assert.equal(registry.size, 1, 'one model loaded for the model node and both infer nodes');
    await helper.unload();
    assert.equal(registry.size, 0, 'released after the last close');
  });
});
