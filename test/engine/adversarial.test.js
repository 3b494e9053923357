'use strict';
// Defects found by an adversarial pass (issue 18), each with the test that showed it, on the
// engine alone. The node-level ones are in test/nodes/adversarial.test.js.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ModelHost, modelConfigFrom } = require('../../dist/lib/model');
const { models } = require('../helpers/paths');
const { until } = require('../helpers/wait');

const FP32 = path.join(models, 'classification', 'mobilenet_v2_224_fp32.onnx');
const INT8 = path.join(models, 'classification', 'mobilenet_v2_224_int8_qop.onnx');

describe('adversarial pass: the engine', function () {
  this.timeout(60000);

  it('defect 4: two models on one file each keep their hot reload when the other is released', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-watch-'));
    const file = path.join(dir, 'model.onnx');
    fs.copyFileSync(FP32, file);
    // Two configurations of one file: two hosts, two watchers.
    const [kept, released] = await Promise.all([1, 2].map((threads) => ModelHost.create(modelConfigFrom({ path: file, threads, checkFirst: false }, dir))));
    try {
      const reloaded = [];
      kept.onEvent((event) => reloaded.push(event.type));
      await released.release();
      fs.copyFileSync(INT8, `${file}.new`);
      fs.renameSync(`${file}.new`, file);
      await until(() => reloaded.length > 0, 'the kept model to reload', 15000);
      assert.deepEqual(reloaded, ['reloaded']);
      assert.notEqual(kept.info.sha256, released.info.sha256);
    } finally {
      await kept.release();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
