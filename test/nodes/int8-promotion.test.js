'use strict';
// A model node with an fp32 model and an int8 candidate, in a real Node-RED: it serves the
// candidate only when the candidate's shadow check report passes the node's thresholds, and
// answers with the model it serves; otherwise fp32, with the reason in the log and the health
// report. The dialog's Check runs the command-line check through the admin route.
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, load } = require('../helpers/flow');
const { models, images } = require('../helpers/paths');

const BIN = path.join(__dirname, '..', '..', 'bin', 'edge-ai-model.js');
const photo = (name) => path.join(images, name);
const HELD_OUT = ['orange.jpg', 'hot_dog.jpg', 'parrot.jpg', 'squirrel_cls.jpg', 'cat_720p.jpg', 'pets.jpg', 'face.jpg', 'basketball1.png'];

describe('int8 candidate on a model node', function () {
  this.timeout(180000);
  let dir;
  let fp32;
  let int8;
  let checkDir;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-promotion-'));
    fp32 = path.join(dir, 'mobilenet.onnx');
    int8 = path.join(dir, 'mobilenet_int8.onnx');
    checkDir = path.join(dir, 'held-out');
    fs.mkdirSync(checkDir);
    for (const name of HELD_OUT) fs.copyFileSync(photo(name), path.join(checkDir, name));
    fs.copyFileSync(path.join(models, 'classification', 'mobilenet_v2_224_fp32.onnx'), fp32);
    execFileSync(process.execPath, [BIN, 'quantize', fp32, '--images', photo('apple.jpg'), photo('fruits.jpg'), photo('messi5.jpg'), '--out', int8, '--method', 'min-max', '--no-mixed', '--quiet']);
    await helper.startServer();
  });
  afterEach(() => helper.unload());
  after(async () => {
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const flow = (thresholds) => [
    { id: 'model', type: 'edge-ai-model', name: 'mobilenet', path: fp32, int8Candidate: int8, task: 'classification', labelsSource: 'none', ...thresholds },
    { id: 'pre', type: 'edge-ai-preprocess', settings: 'model', model: 'model', wires: [['infer']] },
    { id: 'infer', type: 'edge-ai-infer', model: 'model', wires: [['out']] },
    { id: 'out', type: 'helper' },
  ];

  async function served() {
    for (let i = 0; i < 300; i++) {
      const [entry] = (await helper.request().get('/edge-ai/health')).body.models ?? [];
      if (entry?.state === 'ready' && entry.serving) return entry;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the model never became ready');
  }

  /** The sha256 the infer node reports for one photo's answer: which file answered. */
  async function answeredBy() {
    const out = helper.getNode('out');
    const got = new Promise((resolve) => out.once('input', resolve));
    helper.getNode('pre').receive({ payload: fs.readFileSync(photo('orange.jpg')) });
    const msg = await got;
    return msg.inference.sha256;
  }

  it('serves fp32 until the check is run from the dialog, then int8 once its report passes', async () => {
    await load(flow({ promoteAgreement: 10, promoteAdded: 100, promoteSpeedup: 0.1 }));
    let entry = await served();
    assert.equal(entry.serving.precision, 'fp32');
    assert.match(entry.serving.reason, /no check report/);

    // The dialog's Check: the command-line check in a child process, with the dialog's thresholds.
    const response = await helper.request().post('/edge-ai/int8-check').send({ path: fp32, candidate: int8, images: checkDir, promoteAgreement: 10, promoteAdded: 100, promoteSpeedup: 0.1 });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.passed, true, response.body.output);
    assert.equal(response.body.report.images, HELD_OUT.length);
    assert.ok(fs.existsSync(`${int8}.check.json`));

    await helper.unload();
    await load(flow({ promoteAgreement: 10, promoteAdded: 100, promoteSpeedup: 0.1 }));
    entry = await served();
    assert.equal(entry.serving.precision, 'int8', entry.serving.reason);
    assert.equal(await answeredBy(), JSON.parse(fs.readFileSync(`${int8}.check.json`, 'utf8')).int8.sha256);
  });

  it('serves fp32, saying why, when the report misses the node\'s thresholds', async () => {
    execFileSync(process.execPath, [BIN, 'check', fp32, '--int8', int8, '--images', checkDir, '--min-agreement', '0', '--min-speedup', '0']);
    await load(flow({ promoteAgreement: 100, promoteAdded: 0, promoteSpeedup: 50 }));
    const entry = await served();
    assert.equal(entry.serving.precision, 'fp32');
    assert.match(entry.serving.reason, /failed its check: .*speed-up .* is under 50x/);
    assert.equal(await answeredBy(), JSON.parse(fs.readFileSync(`${int8}.check.json`, 'utf8')).fp32.sha256);
  });

  it('the admin route refuses paths that are not models, and a missing image folder, clearly', async () => {
    let response = await helper.request().post('/edge-ai/int8-check').send({ path: '/etc/passwd', candidate: int8, images: checkDir });
    assert.equal(response.status, 400);
    assert.match(response.body.error, /path/);
    response = await helper.request().post('/edge-ai/int8-check').send({ path: fp32, candidate: int8, images: path.join(dir, 'nothing-here') });
    assert.equal(response.status, 422);
    assert.match(response.body.error, /does not exist/);
  });
});
