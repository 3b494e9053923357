'use strict';
// What reaches Node-RED's log: setup errors of cameras and models (once, at deploy), and model
// nodes without a name logged under the name of their model.
const assert = require('node:assert/strict');
const os = require('node:os');
const path = require('node:path');
const { helper, load } = require('../helpers/flow');
const { models } = require('../helpers/paths');
const { delay, until } = require('../helpers/wait');

const MOBILENET = path.join(models, 'classification', 'mobilenet_v2_224_int8_qdq.onnx');

/** The model node's "loaded …" line (the helper's runtime has no catalogs: the key stands for the text). */
const LOADED = /log\.loaded$|^loaded /;
/** The log entries of one node so far: {level, msg, name}. */
const logOf = (id) => helper.log().args.map(([entry]) => entry).filter((e) => e && e.id === id);

describe('the log', () => {
  afterEach(() => helper.unload());

  it('names an unnamed model node after its model file', async () => {
    await load([{ id: 'model', type: 'edge-ai-model', path: MOBILENET }]);
    await until(() => logOf('model').some((e) => LOADED.test(e.msg)), 'the model to load', 30000);
    const loaded = logOf('model').find((e) => LOADED.test(e.msg));
    assert.equal(loaded.name, 'mobilenet_v2_224_int8_qdq.onnx');
    assert.equal(helper.getNode('model').name, 'mobilenet_v2_224_int8_qdq.onnx');
  });

  it('keeps the name a model node was given', async () => {
    await load([{ id: 'model', type: 'edge-ai-model', name: 'my classifier', path: MOBILENET }]);
    await until(() => logOf('model').some((e) => LOADED.test(e.msg)), 'the model to load', 30000);
    assert.equal(logOf('model').find((e) => LOADED.test(e.msg)).name, 'my classifier');
  });

  it('gets a camera\'s setup error once at deploy, before any message, naming what to fix', async () => {
    delete process.env.EDGE_AI_NOT_SET;
    await load([{ id: 'unset', type: 'edge-ai-camera', source: 'folder', path: '${EDGE_AI_NOT_SET}/photos', mode: 'ondemand' }]);
    await until(() => logOf('unset').length > 0, 'the camera\'s error in the log', 5000);
    const [unset] = logOf('unset');
    assert.equal(unset.level, helper.log().ERROR);
    assert.match(String(unset.msg), /\$\{EDGE_AI_NOT_SET\}/);
    assert.equal(logOf('unset').length, 1, 'once');
  });

  it('names the model, not its labels file, when the variable both use is not set', async () => {
    delete process.env.EDGE_AI_NOT_SET;
    await load([{ id: 'model', type: 'edge-ai-model', path: '${EDGE_AI_NOT_SET}/classification/m.onnx', labelsSource: 'file', labelsFile: '${EDGE_AI_NOT_SET}/classification/labels.txt' }]);
    await until(() => logOf('model').length > 0, 'the model\'s error in the log', 5000);
    const [unset] = logOf('model');
    assert.match(String(unset.msg), /m\.onnx/);
    assert.doesNotMatch(String(unset.msg), /labels\.txt/);
  });

  it('says once that a file camera\'s file is missing, not once a frame', async () => {
    const missing = path.join(os.tmpdir(), `edge-ai-nowhere-${process.pid}.jpg`);
    await load([{ id: 'still', type: 'edge-ai-camera', source: 'file', path: missing, mode: 'continuous', fps: 10 }]);
    await delay(2500);
    // The helper's runtime has no catalogs: the error's key stands for its text.
    const errors = logOf('still').filter((e) => /fileNotFound|Image file not found/.test(String(e.msg)));
    assert.equal(errors.length, 1, `logged ${errors.length} times in 2.5 s at 10 fps`);
  });
});
