'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, load } = require('../helpers/flow');
const { delay, until } = require('../helpers/wait');
const { models } = require('../helpers/paths');

const FP32 = path.join(models, 'classification', 'mobilenet_v2_224_fp32.onnx');
const INT8 = path.join(models, 'classification', 'mobilenet_v2_224_int8_qop.onnx');
const YOLO = path.join(models, 'detection', 'yolov8n_640_agpl.onnx');

/** Replace a file the way deploy tools do: write beside it, then rename over it. */
function replaceFile(source, target) {
  const temporary = `${target}.new`;
  fs.copyFileSync(source, temporary);
  fs.renameSync(temporary, target);
}


describe('hot reload of a changed model file', function () {
  this.timeout(90000);
  let dir;
  let modelFile;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-reload-'));
    modelFile = path.join(dir, 'model.onnx');
    fs.copyFileSync(FP32, modelFile);
  });
  afterEach(async () => {
    await helper.unload();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('swaps models during a 10 fps flow without a failed or lost message, and refuses a misfit', async () => {
    await load([
      { id: 'model', type: 'edge-ai-model', path: modelFile, task: 'classification', labelsSource: 'none', watch: true, preResize: 'crop', preNormalize: 'signed' },
      { id: 'cam', type: 'edge-ai-camera', source: 'pattern', width: 320, height: 240, mode: 'continuous', fps: 10, wires: [['pre', 'frames']] },
      { id: 'frames', type: 'helper' },
      { id: 'pre', type: 'edge-ai-preprocess', settings: 'model', model: 'model', wires: [['infer']] },
      { id: 'infer', type: 'edge-ai-infer', model: 'model', mode: 'batch', queueSize: 50, wires: [['out']] },
      { id: 'out', type: 'helper' },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const frames = [];
    const results = [];
    const caught = [];
    const statuses = [];
    helper.getNode('frames').on('input', (m) => frames.push(m.frame.seq));
    helper.getNode('out').on('input', (m) => results.push(m));
    helper.getNode('caught').on('input', (m) => caught.push(m.error.message));
    const infer = helper.getNode('infer');
    const setStatus = infer.status.bind(infer);
    infer.status = (s) => { statuses.push(s); setStatus(s); };

    await until(() => results.length >= 5, 'first results');
    const shaBefore = results[0].inference.sha256;
    replaceFile(INT8, modelFile);
    await until(() => results.some((m) => m.inference.sha256 !== shaBefore), 'the reloaded model');
    const shaAfter = results[results.length - 1].inference.sha256;
    assert.notEqual(shaAfter, shaBefore);
    assert.ok(statuses.some((s) => s.text === 'edge-ai-infer.status.reloaded'), 'status says reloaded');

    // A model with other inputs and outputs is refused; the running one keeps serving.
    replaceFile(YOLO, modelFile);
    await until(() => statuses.some((s) => s.fill === 'red'), 'the refusal in the status');
    assert.match(statuses.find((s) => s.fill === 'red').text, /kept the running model: the new inputs differ/);
    const countAtRefusal = results.length;
    await until(() => results.length >= countAtRefusal + 5, 'results after the refusal');

    helper.getNode('cam').receive({ payload: 'stop' });
    await delay(300);
    await until(() => results.length === frames.length, `every frame answered (${results.length}/${frames.length})`);
    assert.deepEqual(caught, [], 'no msg failed');
    assert.deepEqual(results.map((m) => m.frame.seq), frames, 'none lost, none reordered');
    const shas = results.map((m) => m.inference.sha256);
    const switchAt = shas.indexOf(shaAfter);
    assert.ok(shas.slice(0, switchAt).every((s) => s === shaBefore) && shas.slice(switchAt).every((s) => s === shaAfter), 'one clean switch');
    assert.ok(results.every((m) => m.payload.length === 5 && m.payload[0].score > 0));
  });

  it('reloads when a msg asks, and keeps serving when the file turned bad', async () => {
    await load([
      { id: 'model', type: 'edge-ai-model', path: modelFile, task: 'classification', labelsSource: 'none', watch: false },
      { id: 'infer', type: 'edge-ai-infer', model: 'model', mode: 'batch', wires: [['out']] },
      { id: 'out', type: 'helper' },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const caught = [];
    const results = [];
    helper.getNode('caught').on('input', (m) => caught.push(m.error.message));
    helper.getNode('out').on('input', (m) => results.push(m));
    const tensor = { data: Buffer.alloc(3 * 224 * 224 * 4), dims: [1, 3, 224, 224], type: 'float32', layout: 'NCHW' };
    const infer = helper.getNode('infer');
    infer.receive({ payload: tensor });
    await until(() => results.length === 1, 'a first result');

    replaceFile(INT8, modelFile);
    const reloaded = new Promise((resolve) => {
      const setStatus = infer.status.bind(infer);
      infer.status = (st) => { setStatus(st); if (st.text === 'edge-ai-infer.status.reloaded') resolve(); };
    });
    infer.receive({ reload: true });
    await reloaded;
    infer.receive({ payload: tensor });
    await until(() => results.length === 2, 'a result after the reload');
    assert.notEqual(results[1].inference.sha256, results[0].inference.sha256);

    fs.writeFileSync(modelFile, 'not a model');
    infer.receive({ reload: true });
    await until(() => caught.length === 1, 'the reload error');
    assert.match(caught[0], /not an ONNX model|could not load/);
    infer.receive({ payload: tensor });
    await until(() => results.length === 3, 'a result from the old model');
    assert.equal(results[2].inference.sha256, results[1].inference.sha256);
  });
});
