'use strict';
// The package's admin routes on a real Node-RED with adminAuth: 401 without a token, 403
// without the permission, and what the dialogs need with it.
const assert = require('node:assert/strict');
const path = require('node:path');
const bcrypt = require('bcryptjs');
const { startServer } = require('../helpers/server');
const { models } = require('../helpers/paths');

const PASSWORD = 'edge-ai-test';
/** A value in the runtime's environment that no request may read. */
const SECRET = 'hunter2-in-the-environment';

describe('admin routes with adminAuth on', function () {
  this.timeout(90000);
  let server;
  const tokens = {};

  before(async () => {
    const hash = bcrypt.hashSync(PASSWORD, 8);
    server = await startServer({
      env: { EDGE_AI_TEST_SECRET: SECRET },
      settings: `  adminAuth: { type: 'credentials', users: [
    { username: 'admin', password: '${hash}', permissions: '*' },
    { username: 'viewer', password: '${hash}', permissions: 'read' },
    { username: 'flows', password: '${hash}', permissions: ['flows.read'] },
  ] },
`,
    });
    for (const username of ['admin', 'viewer', 'flows']) {
      const response = await fetch(`${server.base}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: { admin: '*', viewer: 'read', flows: 'flows.read' }[username], username, password: PASSWORD }),
      });
      assert.equal(response.status, 200, `token for ${username}`);
      tokens[username] = (await response.json()).access_token;
    }
  });
  after(() => server?.stop());

  /** @param {string} route @param {{ user?: string, method?: string }} [options] */
  const call = (route, { user, method = 'GET' } = {}) => fetch(`${server.base}${route}`, {
    method, headers: user ? { Authorization: `Bearer ${tokens[user]}` } : {},
  });
  const doctorRoute = `/edge-ai/doctor?path=${encodeURIComponent(path.join(models, 'detection', 'yolov8n_640_agpl.onnx'))}`;
  const routes = [['GET', '/edge-ai/catalogue'], ['GET', doctorRoute], ['POST', '/edge-ai/catalogue/blazeface-front-128/fetch'], ['GET', '/edge-ai/preview/nonode']];

  it('answers 401 on every route without a token', async () => {
    for (const [method, route] of routes) assert.equal((await call(route, { method })).status, 401, `${method} ${route}`);
  });

  it('answers 403 to a valid token without the permission: every route for a flows-only user, the download for a read-only one', async () => {
    for (const [method, route] of routes) assert.equal((await call(route, { method, user: 'flows' })).status, 403, `${method} ${route}`);
    assert.equal((await call(routes[2][1], { method: 'POST', user: 'viewer' })).status, 403);
    assert.equal((await call('/edge-ai/catalogue', { user: 'viewer' })).status, 200, 'while reading is allowed');
    assert.equal((await call('/edge-ai/preview/nonode', { user: 'viewer' })).status, 404, 'previews too (no frame for that node)');
  });

  it('lists the catalogue with licences and sizes', async () => {
    const response = await call('/edge-ai/catalogue', { user: 'viewer' });
    assert.equal(response.status, 200);
    const entries = await response.json();
    const yolo = entries.find((e) => e.id === 'yolov8n-coco');
    assert.match(yolo.licence, /AGPL-3.0/);
    assert.equal(yolo.model.size, 12821996);
    assert.equal(typeof yolo.cached, 'boolean');
  });

  it('returns the doctor report for a model file, and clear errors for bad requests', async () => {
    const report = await (await call(doctorRoute, { user: 'viewer' })).json();
    assert.deepEqual([report.layout, report.task, report.classes, report.preprocess.resize], ['ultralytics-v8', 'detection', 80, 'letterbox']);
    assert.match(report.sha256, /^505648ad/);
    const notOnnx = await call('/edge-ai/doctor?path=/etc/passwd', { user: 'viewer' });
    assert.equal(notOnnx.status, 400);
    assert.match((await notOnnx.json()).error, /must be the path of an .onnx or .tflite file/);
    // A TensorFlow Lite file gets the doctor's report of its import.
    const tflite = path.join(models, 'tflite', 'coral-mobilenet_v2_1.0_224_quant.tflite');
    const tfliteReport = await (await call(`/edge-ai/doctor?path=${encodeURIComponent(tflite)}`, { user: 'viewer' })).json();
    assert.deepEqual([tfliteReport.format, tfliteReport.task, tfliteReport.classes, tfliteReport.labels.source], ['tflite', 'classification', 1001, 'metadata']);
    const missing = await call('/edge-ai/doctor?path=/nope/x.onnx', { user: 'viewer' });
    assert.equal(missing.status, 404);
    const unknown = await call('/edge-ai/catalogue/nope/fetch', { method: 'POST', user: 'admin' });
    assert.equal(unknown.status, 404);
  });
  it('expands no ${NAME} from a request but the package\'s path folders, and answers with the path as asked: no route reads the environment', async () => {
    const asked = [
      ['GET', `/edge-ai/doctor?path=${encodeURIComponent('${EDGE_AI_TEST_SECRET}.onnx')}`, 'viewer'],
      ['GET', `/edge-ai/doctor?path=${encodeURIComponent('/tmp/${EDGE_AI_TEST_SECRET}/m.tflite')}`, 'viewer'],
    ];
    for (const [method, route, user] of asked) {
      const response = await call(route, { method, user });
      const text = await response.text();
      assert.equal(response.status, 400, `${route}: ${text}`);
      assert.match(text, /a request does not expand environment variables/);
      assert.doesNotMatch(text, new RegExp(SECRET));
    }
    // The package's own path variables are expanded, and answered as asked, never as expanded.
    const found = await call(`/edge-ai/doctor?path=${encodeURIComponent('${EDGE_AI_MODELS}/detection/yolov8n_640_agpl.onnx')}`, { user: 'viewer' });
    const report = await found.json();
    assert.deepEqual([found.status, report.path, report.layout], [200, '${EDGE_AI_MODELS}/detection/yolov8n_640_agpl.onnx', 'ultralytics-v8']);
    const lost = await call(`/edge-ai/doctor?path=${encodeURIComponent('${EDGE_AI_MODELS}/nowhere.onnx')}`, { user: 'viewer' });
    const lostText = await lost.text();
    assert.equal(lost.status, 404, lostText);
    assert.match(lostText, /\$\{EDGE_AI_MODELS\}\/nowhere\.onnx/);
    assert.doesNotMatch(lostText, new RegExp(models.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the folder it stands for is not told');
    const check = await fetch(`${server.base}/edge-ai/int8-check`, {
      method: 'POST', headers: { Authorization: `Bearer ${tokens.admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ path: '${EDGE_AI_TEST_SECRET}.onnx', candidate: '/tmp/c.onnx', images: '/tmp' }),
    });
    const checkText = await check.text();
    assert.equal(check.status, 400, checkText);
    assert.doesNotMatch(checkText, new RegExp(SECRET));
  });

  it('reports on a deployed model node whose path has ${NAME}, showing the path as configured', async () => {
    const flows = await (await fetch(`${server.base}/flows`, { headers: { Authorization: `Bearer ${tokens.admin}` } })).json();
    const model = flows.find((n) => n.type === 'edge-ai-model' && String(n.path).startsWith('${EDGE_AI_MODELS}'));
    assert.ok(model, 'the demo has a model node with ${EDGE_AI_MODELS} in its path');
    const response = await call(`/edge-ai/doctor?node=${model.id}`, { user: 'viewer' });
    const report = await response.json();
    assert.equal(response.status, 200, JSON.stringify(report));
    assert.equal(report.path, model.path, 'the path as the flow writes it, not expanded');
    assert.equal(report.task, 'classification');
    const nobody = await call('/edge-ai/doctor?node=not-a-node', { user: 'viewer' });
    assert.equal(nobody.status, 400);
    assert.match((await nobody.json()).error, /deployed edge-ai-model node/);
  });
});
