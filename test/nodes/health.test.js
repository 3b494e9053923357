'use strict';
// GET /edge-ai/health through a real Node-RED: a camera whose stream stalls turns it red within
// its frame-age limit and green again when frames return; a model that fails to load turns it
// red; under adminAuth it needs the permission edge-ai-health.read, and the probe command reads it.
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const bcrypt = require('bcryptjs');
const { helper, load } = require('../helpers/flow');
const { startServer } = require('../helpers/server');
const { models } = require('../helpers/paths');
const { startMjpegServer } = require('../helpers/mjpeg-server');

const MOBILENET = path.join(models, 'classification', 'mobilenet_v2_224_int8_qdq.onnx');
const BIN = path.join(__dirname, '..', '..', 'bin', 'edge-ai-model.js');

async function healthUntil(predicate, timeoutMs, what) {
  const until = Date.now() + timeoutMs;
  let last;
  for (;;) {
    const response = await helper.request().get('/edge-ai/health');
    last = { httpStatus: response.status, ...response.body };
    if (predicate(last)) return last;
    if (Date.now() > until) throw new Error(`${what}: not in ${timeoutMs} ms; last answer ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('health endpoint', function () {
  this.timeout(120000);
  let camera;
  let port;
  before(async () => {
    camera = await startMjpegServer();
    port = camera.port;
    await helper.startServer();
  });
  afterEach(() => helper.unload());
  after(async () => {
    camera.close();
    await helper.stopServer();
  });

  it('turns red within the frame-age limit when a camera stalls, and green when its frames return', async () => {
    await load([
      { id: 'model-ok', type: 'edge-ai-model', name: 'mobilenet', path: MOBILENET, task: 'classification', labelsSource: 'none' },
      // Restart after 1 s, so the limit is 2 s.
      { id: 'cam-door', type: 'edge-ai-camera', name: 'door', source: 'mjpeg', url: `http://127.0.0.1:${port}/`, mode: 'continuous', fps: 10, stallTimeout: 1, wires: [['out']] },
      { id: 'cam-pattern', type: 'edge-ai-camera', name: 'pattern', source: 'pattern', mode: 'continuous', fps: 5, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const healthy = await healthUntil((h) => h.status === 'ok', 30000, 'all ready');
    assert.equal(healthy.httpStatus, 200);
    assert.deepEqual(healthy.models.map((m) => [m.name, m.state]), [['mobilenet', 'ready']]);
    const door = healthy.cameras.find((c) => c.name === 'door');
    assert.deepEqual([door.state, door.maxFrameAgeMs, door.frames > 0, door.frameAgeMs < 2000], ['streaming', 2000, true, true]);
    assert.deepEqual([healthy.runtime.node, healthy.runtime.arch, typeof healthy.runtime.rssMB], [process.version, process.arch, 'number']);

    camera.paused = true;
    const pausedAt = Date.now();
    const red = await healthUntil((h) => h.status === 'failing', 10000, 'red after the stall');
    const redAfter = Date.now() - pausedAt;
    assert.equal(red.httpStatus, 503);
    const stalled = red.cameras.find((c) => c.name === 'door');
    assert.equal(stalled.status, 'failing');
    assert.match(stalled.reason, /^newest frame \d+ s old \(limit 2 s\)/);
    assert.ok(stalled.frameAgeMs > 2000, `frame age ${stalled.frameAgeMs}`);
    assert.equal(red.cameras.find((c) => c.name === 'pattern').status, 'ok', 'the other camera stays green');
    // Never before the limit (2 s, less the newest frame's age at the pause: < 0.1 s at 10 fps);
    // after it, within healthUntil's 10 s, a margin no load reaches.
    assert.ok(redAfter >= 1900, `red ${redAfter} ms after the stall`);

    camera.paused = false;
    const green = await healthUntil((h) => h.status === 'ok', 20000, 'green after frames return');
    assert.equal(green.cameras.find((c) => c.name === 'door').state, 'streaming');
  });

  it('turns red when a model fails to load, naming the model and why', async () => {
    await load([
      { id: 'model', type: 'edge-ai-model', name: 'gone', path: '/nonexistent/model.onnx', task: 'classification', labelsSource: 'none' },
    ]);
    const red = await healthUntil((h) => h.status === 'failing', 15000, 'red for the missing model');
    assert.equal(red.httpStatus, 503);
    assert.deepEqual([red.models[0].name, red.models[0].state], ['gone', 'failed']);
    assert.match(red.models[0].lastError.message, /\/nonexistent\/model\.onnx/);
    await helper.unload();
    const empty = await healthUntil((h) => h.status === 'ok', 5000, 'green once the flow is gone');
    assert.deepEqual([empty.models, empty.cameras], [[], []]);
  });
});

describe('health endpoint with adminAuth on, and the probe command', function () {
  this.timeout(90000);
  let server;
  const PASSWORD = 'edge-ai-test';
  const PROBE_TOKEN = 'probe-token-for-tests';
  before(async () => {
    const hash = bcrypt.hashSync(PASSWORD, 8);
    server = await startServer({
      demo: false,
      settings: `  adminAuth: { type: 'credentials', users: [
    { username: 'flows', password: '${hash}', permissions: ['flows.read'] },
  ], tokens: function (token) {
    return Promise.resolve(token === '${PROBE_TOKEN}' ? { username: 'health', permissions: 'edge-ai-health.read' } : null);
  } },
`,
    });
  });
  after(() => server?.stop());

  const probe = (env) => new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'health', '--url', `${server.base}/edge-ai/health`], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, out: `${stdout}${stderr}`.trim() });
    });
  });

  it('answers 401 without a token, 403 without the permission, the report with it', async () => {
    assert.equal((await fetch(`${server.base}/edge-ai/health`)).status, 401);
    const login = await fetch(`${server.base}/auth/token`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: 'flows.read', username: 'flows', password: PASSWORD }),
    });
    const { access_token: flowsToken } = await login.json();
    assert.equal((await fetch(`${server.base}/edge-ai/health`, { headers: { Authorization: `Bearer ${flowsToken}` } })).status, 403);
    const answer = await fetch(`${server.base}/edge-ai/health`, { headers: { Authorization: `Bearer ${PROBE_TOKEN}` } });
    assert.equal(answer.status, 200);
    const report = await answer.json();
    assert.deepEqual([report.status, report.runtime.nodeRed.startsWith(require('node-red/package.json').version)], ['ok', true]);
  });

  it('exits 0 with the token, 2 without it or with a wrong one', async () => {
    assert.deepEqual(await probe({ EDGE_AI_HEALTH_TOKEN: PROBE_TOKEN }), { code: 0, out: 'ok: 0 models, 0 cameras' });
    const none = await probe({ EDGE_AI_HEALTH_TOKEN: '' });
    assert.deepEqual([none.code, /adminAuth is on: give a token/.test(none.out)], [2, true]);
    const tokenFile = path.join(server.userDir, 'health-token');
    fs.writeFileSync(tokenFile, 'wrong-token\n');
    const wrong = await probe({ EDGE_AI_HEALTH_TOKEN: '', EDGE_AI_HEALTH_TOKEN_FILE: tokenFile });
    assert.deepEqual([wrong.code, /the token was refused/.test(wrong.out)], [2, true]);
  });
});
