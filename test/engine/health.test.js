'use strict';
// The health board on a clock moved by hand: when a camera or a model counts as failing, and the
// probe command's reading of a report.
const assert = require('node:assert/strict');
const http = require('node:http');
const { HealthBoard, probe, probeOptions, summarize } = require('../../dist/lib/health');
const { frameAgeLimitMs } = require('../../dist/lib/camera');
const { ManualClock } = require('../helpers/clock');

const byName = (report, name) => [...report.cameras, ...report.models].find((part) => part.name === name);

describe('health board', () => {
  it('calls a continuous camera starting until its first frame, failing once no frame came within its limit, ok again on a frame', async () => {
    const clock = new ManualClock();
    const board = new HealthBoard(clock);
    const door = board.camera('c1', 'door', { continuous: true, maxFrameAgeMs: 20000 });
    assert.equal(board.report().status, 'starting');
    await clock.advance(20001);
    let camera = byName(board.report(), 'door');
    assert.deepEqual([camera.status, camera.reason], ['failing', 'no frame in 20 s since the start']);
    door.frame();
    assert.deepEqual([board.report().status, byName(board.report(), 'door').state], ['ok', 'streaming']);
    await clock.advance(20000);
    assert.equal(board.report().status, 'ok', 'at the limit itself it is still ok');
    door.failed(new Error('ffmpeg exited with code 1'));
    await clock.advance(1);
    camera = byName(board.report(), 'door');
    assert.equal(camera.status, 'failing');
    assert.equal(camera.frameAgeMs, 20001);
    assert.equal(camera.reason, 'newest frame 20 s old (limit 20 s): ffmpeg exited with code 1');
    assert.deepEqual(camera.lastError, { message: 'ffmpeg exited with code 1', at: clock.now() - 1 });
    door.frame();
    assert.equal(board.report().status, 'ok');
  });

  it('does not fault a camera that was told to stop, that finished its files, or that waits for requests', async () => {
    const clock = new ManualClock();
    const board = new HealthBoard(clock);
    const stopped = board.camera('a', 'stopped', { continuous: true, maxFrameAgeMs: 1000 });
    const finished = board.camera('b', 'finished', { continuous: true, maxFrameAgeMs: 1000 });
    board.camera('c', 'on request', { continuous: false, maxFrameAgeMs: 1000 });
    stopped.frame();
    stopped.running(false);
    finished.frame();
    finished.state('finished');
    await clock.advance(60000);
    const report = board.report();
    assert.equal(report.status, 'ok');
    assert.equal(byName(report, 'stopped').state, 'stopped');
    // Started again: the frames from before the stop no longer count, the limit runs from now.
    stopped.running(true);
    assert.equal(byName(board.report(), 'stopped').status, 'starting');
    await clock.advance(1001);
    assert.equal(byName(board.report(), 'stopped').status, 'failing');
  });

  it('fails a camera on request while its latest request failed, and one that could not be set up', async () => {
    const clock = new ManualClock();
    const board = new HealthBoard(clock);
    const snap = board.camera('s', 'snap', { continuous: false, maxFrameAgeMs: 0 });
    snap.frame();
    await clock.advance(10);
    snap.failed(new Error('no frame in 10 s'));
    assert.equal(byName(board.report(), 'snap').reason, 'the latest request failed: no frame in 10 s');
    await clock.advance(10);
    snap.frame();
    assert.equal(board.report().status, 'ok');
    const broken = board.camera('x', 'broken', { continuous: false, maxFrameAgeMs: 0 });
    broken.failed(new Error('"url" must be an rtsp:// URL'));
    broken.state('failed');
    assert.equal(byName(board.report(), 'broken').reason, 'the camera could not be set up: "url" must be an rtsp:// URL');
    broken.release();
    broken.release();
    assert.equal(board.report().status, 'ok', 'a released line is gone, and releasing twice is harmless');
  });

  it('reports models loading, ready and failed; a failed reload keeps the model ready with its error', () => {
    const board = new HealthBoard(new ManualClock());
    const yolo = board.model('m1', 'yolo');
    assert.equal(board.report().status, 'starting');
    yolo.ready();
    yolo.warned(new Error('reload failed: not an ONNX file'));
    assert.deepEqual([board.report().status, byName(board.report(), 'yolo').lastError.message], ['ok', 'reload failed: not an ONNX file']);
    const other = board.model('m2', 'other');
    other.failed(new Error('model file not found'));
    assert.equal(board.report().status, 'failing', 'failing wins over starting and ok');
    board.camera('c', 'cam', { continuous: true, maxFrameAgeMs: 1000 });
    assert.equal(board.report().status, 'failing');
    other.release();
    assert.equal(board.report().status, 'starting');
  });

  it('gives a camera two restart deadlines and at least five frame intervals', () => {
    assert.equal(frameAgeLimitMs({}), 20000, 'defaults: restart after 10 s, 5 fps');
    assert.equal(frameAgeLimitMs({ stallTimeout: 2, fps: 10 }), 4000);
    assert.equal(frameAgeLimitMs({ stallTimeout: 2, fps: 0.1 }), 50000, 'one frame in 10 s: five intervals');
    assert.throws(() => frameAgeLimitMs({ stallTimeout: 0 }), /stallTimeout/);
  });
});

describe('health probe command', () => {
  let server;
  let answer;
  let seenAuthorization;
  before(async () => {
    server = http.createServer((req, res) => {
      seenAuthorization = req.headers.authorization;
      if (answer.hang) return;
      res.writeHead(answer.status, { 'Content-Type': 'application/json' });
      res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const options = (args = []) => probeOptions(['--url', `http://127.0.0.1:${server.address().port}/edge-ai/health`, ...args], { EDGE_AI_HEALTH_TOKEN: 'secret-token' });
  const failing = {
    status: 'failing',
    models: [{ name: 'yolo', status: 'ok', state: 'ready' }],
    cameras: [{ name: 'door', status: 'failing', state: 'reconnecting', reason: 'newest frame 25 s old (limit 20 s)' }],
  };

  it('exits 0 on a healthy report and 1 on a failing one, saying which part fails; --live only needs an answer', async () => {
    answer = { status: 200, body: { status: 'ok', models: [{ name: 'yolo', status: 'ok' }], cameras: [] } };
    assert.deepEqual(await probe(options()), { exitCode: 0, line: 'ok: 1 model, 0 cameras' });
    assert.equal(seenAuthorization, 'Bearer secret-token');
    answer = { status: 503, body: failing };
    assert.deepEqual(await probe(options()), { exitCode: 1, line: 'failing: 1 model, 1 camera; camera "door" failing (newest frame 25 s old (limit 20 s))' });
    assert.equal((await probe(options(['--live']))).exitCode, 0);
  });

  it('exits 2 when refused, when the answer is not a report, and when none comes in time', async () => {
    answer = { status: 401, body: 'Unauthorized' };
    assert.match((await probe(options())).line, /^401 .*: the token was refused$/);
    answer = { status: 403, body: '{}' };
    assert.deepEqual([(await probe(options())).exitCode, (await probe(options())).line.endsWith('lacks the permission edge-ai-health.read')], [2, true]);
    answer = { status: 200, body: '<html>editor</html>' };
    assert.deepEqual([(await probe(options())).exitCode, (await probe(options(['--live']))).exitCode], [2, 2]);
    answer = { hang: true };
    const hung = await probe(options(['--timeout', '0.3']));
    assert.deepEqual([hung.exitCode, hung.line.endsWith('no answer in 0.3 s')], [2, true]);
    const closed = await probe(probeOptions(['--url', 'http://127.0.0.1:9/edge-ai/health'], {}));
    assert.match(closed.line, /^no answer from http:\/\/127.0.0.1:9\/edge-ai\/health: .*ECONNREFUSED/);
  });

  it('takes its URL (the runtime\'s or its health route) and token from the environment and refuses what it cannot use', () => {
    const fromEnv = probeOptions([], { PORT: '1999' });
    assert.deepEqual([fromEnv.url.href, fromEnv.live, fromEnv.timeoutMs], ['http://127.0.0.1:1999/edge-ai/health', false, 5000]);
    assert.throws(() => probeOptions(['--url', 'file:///etc/passwd'], {}), /--url must be an http\(s\) URL, not "file:\/\/\/etc\/passwd"/);
    assert.throws(() => probeOptions(['--verbose'], {}), /unexpected "--verbose"\nusage: edge-ai-model health/);
    assert.equal(probeOptions(['--url', 'http://pi.local:1880'], {}).url.href, 'http://pi.local:1880/edge-ai/health');
    assert.equal(probeOptions(['--url', 'https://pi.local/admin/'], {}).url.href, 'https://pi.local/admin/edge-ai/health');
    assert.equal(probeOptions(['--url', 'http://pi.local:1880/admin/edge-ai/health'], {}).url.href, 'http://pi.local:1880/admin/edge-ai/health');
    assert.match(summarize({ status: 'starting', models: [{ name: 'm', status: 'starting', state: 'loading' }], cameras: [] }), /model "m" starting \(loading\)/);
  });
});
