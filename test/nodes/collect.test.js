'use strict';
// edge-ai-collect in a real Node-RED runtime, fed the frames of the sample CCTV video (cut from
// its MJPEG file): started and stopped by msg and by the editor's button route, the folder
// ending with exactly N frames spread over the stream, near-duplicates skipped, the byte budget
// kept, bad input caught while the node keeps running; and the route's permission under adminAuth.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const bcrypt = require('bcryptjs');
const sharp = require('sharp');
const { helper, collect } = require('../helpers/flow');
const { root, dist, assets } = require('../helpers/paths');
const { startServer } = require('../helpers/server');

const collectNode = require(path.join(dist, 'edge-ai-collect.js'));

/** The JPEG frames of an MJPEG file: each from its start marker (FF D8 FF) to its end marker (FF D9). */
function mjpegFrames(file) {
  const data = fs.readFileSync(file);
  const frames = [];
  let at = 0;
  for (;;) {
    const start = data.indexOf(Buffer.from([0xff, 0xd8, 0xff]), at);
    if (start < 0) break;
    const end = data.indexOf(Buffer.from([0xff, 0xd9]), start);
    if (end < 0) break;
    frames.push(data.subarray(start, end + 2));
    at = end + 2;
  }
  return frames;
}

const VIDEO = mjpegFrames(path.join(assets, 'media', 'video', 'vtest_10s_5fps.mjpeg'));
const T0 = Date.UTC(2026, 11, 2, 10, 15, 0);

describe('edge-ai-collect in a flow', function () {
  this.timeout(60000);
  let userDir;

  before(() => assert.equal(VIDEO.length, 50, 'the sample video has 50 frames'));
  beforeEach(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-collect-flow-'));
    // The folder setting is relative to the user dir, as in a real Node-RED.
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  /** The collect node (settings `over`) with its two outputs, a Catch node and a Complete node on it. */
  async function load(over = {}, extra = []) {
    const flow = [
      { id: 'tab', type: 'tab', label: 'collect' },
      { id: 'collect', z: 'tab', type: 'edge-ai-collect', folder: 'frames', count: 8, interval: 1, minChange: 0.005, maxMegabytes: 100, whenFull: 'stop', ...over, wires: [['out'], ['state']] },
      { id: 'out', z: 'tab', type: 'helper' },
      { id: 'state', z: 'tab', type: 'helper' },
      { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'tab', type: 'helper' },
      { id: 'completer', z: 'tab', type: 'complete', scope: ['collect'], uncaught: false, wires: [['completed']] },
      { id: 'completed', z: 'tab', type: 'helper' },
      ...extra.map((n) => ({ z: 'tab', ...n })),
    ];
    await helper.load([collectNode], flow);
  }
  const folder = () => path.join(userDir, 'frames');
  const frameFiles = () => (fs.existsSync(folder()) ? fs.readdirSync(folder()).filter((f) => /^frame-.*\.jpg$/.test(f)).sort() : []);
  const dirBytes = () => frameFiles().reduce((sum, f) => sum + fs.statSync(path.join(folder(), f)).size, 0);
  /** The number in a frame file's name: its place among the accepted frames. */
  const indexOf = (name) => Number(/-(\d+)\.jpg$/.exec(name)[1]);

  /** Send a msg and wait until the node has handled it: the msg a Complete node or (for an error) the Catch node passes on. */
  function send(msg, node = 'collect') {
    const listeners = ['completed', 'caught'].map((id) => helper.getNode(id));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(() => reject(new Error(`${JSON.stringify(Object.keys(msg))} was not handled in 20 s`))), 20000);
      const handled = (m) => finish(() => resolve(m));
      function finish(settle) {
        clearTimeout(timer);
        for (const l of listeners) l.removeListener('input', handled);
        settle();
      }
      for (const l of listeners) l.on('input', handled);
      helper.getNode(node).receive(msg);
    });
  }
  async function command(collect_) {
    const answer = collect('state', 1, 5000);
    await send({ collect: collect_ });
    return (await answer)[0].payload;
  }
  /** Frame `i` of the video at 5 fps, as the camera sends it. */
  const frameMsg = (i, loop = 0) => {
    const seq = loop * VIDEO.length + i;
    return { payload: VIDEO[i], image: VIDEO[i], frame: { source: 'vtest', seq, time: T0 + seq * 200, width: 640, height: 480, format: 'jpeg' } };
  };
  /** Which video frame each file holds (the JPEGs are stored byte for byte). */
  const videoIndices = () => frameFiles().map((f) => VIDEO.findIndex((v) => v.equals(fs.readFileSync(path.join(folder(), f)))));

  it('started by msg: passes every frame on unchanged and keeps exactly N frames, one a second, then is done', async () => {
    await load();
    const started = await command('start');
    assert.deepEqual(started, { state: 'collecting', kept: 0, seen: 0, count: 8, bytes: 0, folder: folder() });
    const passed = collect('out', VIDEO.length);
    const done = collect('state', 1);
    for (let i = 0; i < VIDEO.length; i++) await send(frameMsg(i));
    const out = await passed;
    assert.ok(out.every((m, i) => m.payload === VIDEO[i] || m.payload.equals(VIDEO[i])), 'each frame passed on as it came');
    assert.deepEqual(out.map((m) => m.frame.seq), VIDEO.map((_v, i) => i));
    const [finished] = await done;
    assert.deepEqual({ ...finished.payload, bytes: 0 }, { state: 'done', kept: 8, seen: 8, count: 8, bytes: 0, folder: folder() });
    // One frame a second of a 5 fps stream: frames 0, 5, 10, ... 35, and then it was done.
    assert.deepEqual(videoIndices(), [0, 5, 10, 15, 20, 25, 30, 35]);
    assert.equal(frameFiles()[1], 'frame-20261202T101501Z-0002.jpg', 'named by the frame\'s time and its number');
    assert.equal(finished.payload.bytes, dirBytes());
    assert.equal(helper.getNode('collect').status.lastCall.args[0].text, 'edge-ai-collect.status.done');
  });

  it('keeping on sampling: the folder never holds more than N, and ends with N frames spread over the whole stream', async () => {
    await load({ count: 12, interval: 0.4, minChange: 0, whenFull: 'keep-sampling' });
    await command('start');
    // The video three times over (150 frames at 5 fps): every other frame is accepted, 75 in all.
    for (let loop = 0; loop < 3; loop++) {
      for (let i = 0; i < VIDEO.length; i++) {
        await send(frameMsg(i, loop));
        assert.ok(frameFiles().length <= 12);
      }
    }
    const names = frameFiles();
    assert.equal(names.length, 12);
    const indices = names.map(indexOf).sort((a, b) => a - b);
    assert.equal(Math.max(...indices) <= 75, true);
    assert.notDeepEqual(indices, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'not just the first frames');
    assert.ok(indices.some((i) => i > 38), `some from the second half of the stream: ${indices}`);
    assert.ok(!fs.readdirSync(folder()).some((f) => f.endsWith('.tmp')), 'no temporary files left');
    const stopped = await command('stop');
    assert.deepEqual([stopped.state, stopped.kept, stopped.seen], ['stopped', 12, 75]);
  });

  it('skips near-duplicates: the same scene again, even encoded anew, is not kept twice', async () => {
    await load({ interval: 0, minChange: 0.01 });
    await command('start');
    const again = await sharp(VIDEO[0]).jpeg({ quality: 70 }).toBuffer();
    const sends = [VIDEO[0], again, VIDEO[0], VIDEO[1], VIDEO[25], await sharp(VIDEO[25]).jpeg({ quality: 60 }).toBuffer()];
    for (const [i, payload] of sends.entries()) await send({ payload, frame: { time: T0 + i * 1000 } });
    // Frame 1 is 0.2 s after frame 0: too alike as well.
    assert.deepEqual(videoIndices(), [0, 25]);
  });

  it('stops, starts again where it stopped, and reset deletes its frames', async () => {
    await load({ interval: 0, minChange: 0 });
    await command('start');
    for (let i = 0; i < 3; i++) await send(frameMsg(i * 10));
    assert.deepEqual(await command('stop'), { state: 'stopped', kept: 3, seen: 3, count: 8, bytes: dirBytes(), folder: folder() });
    const passed = collect('out', 1);
    await send(frameMsg(45));
    await passed;
    assert.equal(frameFiles().length, 3, 'stopped: frames pass on but are not kept');
    const restarted = await command('start');
    assert.deepEqual([restarted.state, restarted.kept], ['collecting', 3]);
    await send(frameMsg(45));
    assert.deepEqual(frameFiles().map(indexOf), [1, 2, 3, 4]);
    fs.writeFileSync(path.join(folder(), 'README.txt'), 'not a frame');
    assert.deepEqual(await command('reset'), { state: 'idle', kept: 0, seen: 0, count: 8, bytes: 0, folder: folder() });
    assert.deepEqual(fs.readdirSync(folder()), ['README.txt']);
  });

  it('keeps the folder within its size: frames that do not fit are skipped, and the status says so', async () => {
    // 0.1 MB: two of the video's ~43 kB frames fit, a third does not.
    await load({ interval: 0, minChange: 0, maxMegabytes: 0.1 });
    await command('start');
    for (let i = 0; i < 4; i++) await send(frameMsg(i * 10));
    assert.equal(frameFiles().length, 2);
    assert.ok(dirBytes() <= 100000);
    const statuses = helper.getNode('collect').status.args.map(([s]) => s);
    assert.ok(statuses.some((s) => s.text === 'edge-ai-collect.status.tooLarge' && s.fill === 'yellow'), JSON.stringify(statuses));
  });

  it('a non-image payload, a bad command and a folder from msg are caught errors; the node keeps running', async () => {
    await load({ interval: 0 });
    await command('start');
    const out = [];
    helper.getNode('out').on('input', (m) => out.push(m));
    const text = await send({ payload: 'hello' });
    assert.match(text.error.message, /Expected an encoded image Buffer .* in msg.payload but received string "hello"/);
    assert.equal(text.error.source.id, 'collect');
    assert.match((await send({ payload: { width: 3 } })).error.message, /received object \{width\}/);
    assert.match((await send({ collect: 'go' })).error.message, /msg.collect must be "start", "stop" or "reset" but is string "go"/);
    const elsewhere = path.join(userDir, 'elsewhere');
    const refused = await send({ ...frameMsg(0), folder: elsewhere });
    assert.match(refused.error.message, /msg.folder was given, but edge-ai-collect writes only to the folder in its settings .*: a message cannot choose where files go/);
    assert.match((await send({ collect: 'start', path: elsewhere })).error.message, /msg.path was given/);
    assert.ok(!fs.existsSync(elsewhere));
    assert.equal(out.length, 0, 'none of them passed on');
    assert.equal(helper.getNode('collect').status.lastCall.args[0].fill, 'red');
    // A cut JPEG passes the first look (its header) and fails when decoded.
    assert.match((await send({ payload: VIDEO[3].subarray(0, 4000), frame: { time: T0 } })).error.message, /Could not decode the jpeg image in msg.payload \(4000 bytes\)/);
    await send(frameMsg(10));
    assert.equal(frameFiles().length, 1, 'and still collects');
    // A raw RGB frame described by msg.frame is stored as a JPEG.
    const { data, info } = await sharp(VIDEO[30]).raw().toBuffer({ resolveWithObject: true });
    await send({ payload: data, frame: { format: 'rgb', width: info.width, height: info.height, time: T0 + 60000 } });
    const stored = fs.readFileSync(path.join(folder(), frameFiles()[1]));
    assert.deepEqual([stored[0], stored[1], (await sharp(stored).metadata()).width], [0xff, 0xd8, 640]);
  });

  it('two collect nodes may not share a folder: the second says so', async () => {
    await load({}, [{ id: 'twin', type: 'edge-ai-collect', folder: 'frames', wires: [[], []] }]);
    const refused = collect('caught', 1);
    helper.getNode('twin').receive({ collect: 'start' });
    const [caught] = await refused;
    assert.match(caught.error.message, /The folder .*frames is already collected into by another edge-ai-collect node \((collect|twin)\)/);
    assert.equal(helper.getNode('twin').status.lastCall.args[0].fill, 'red');
  });

  it('the editor\'s button route starts and stops collecting', async () => {
    await load({ interval: 0, minChange: 0 });
    const announced = collect('state', 1);
    const started = await helper.request().post('/edge-ai/collect/collect/toggle').expect(200);
    assert.deepEqual(started.body, { state: 'collecting', kept: 0, seen: 0, count: 8, bytes: 0, folder: folder() });
    assert.equal((await announced)[0].payload.state, 'collecting', 'on output 2 as well');
    await send(frameMsg(0));
    await send(frameMsg(20));
    const stopped = await helper.request().post('/edge-ai/collect/collect/toggle').expect(200);
    assert.deepEqual([stopped.body.state, stopped.body.kept], ['stopped', 2]);
    const again = await helper.request().post('/edge-ai/collect/collect/stop').expect(200);
    assert.equal(again.body.state, 'stopped', 'stopping a stopped node changes nothing');
    // (The test runtime shows catalog keys, not texts.)
    assert.match((await helper.request().post('/edge-ai/collect/collect/launch').expect(400)).body.error, /edge-ai-collect\.error\.command$/);
    await helper.request().post('/edge-ai/collect/no-such-node/toggle').expect(404);
    await helper.request().post('/edge-ai/collect/collect/reset').expect(200);
    assert.deepEqual(frameFiles(), []);
  });
});

describe('the example "collect calibration frames"', function () {
  this.timeout(60000);
  let userDir;
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('collects distinct frames of the test camera once started, then shows the quantize command', async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-collect-example-'));
    helper.settings({ userDir });
    const core = path.dirname(require.resolve('@node-red/nodes/package.json'));
    const modules = [collectNode, require(path.join(dist, 'edge-ai-camera.js')),
      ...['common/20-inject.js', 'common/90-comment.js', 'function/10-switch.js', 'function/80-template.js'].map((f) => require(path.join(core, 'core', f)))];
    const flow = JSON.parse(fs.readFileSync(path.join(root, 'examples', '05 collect calibration frames.json'), 'utf8'))
      // Debug nodes become helper nodes the test listens to; 4 frames instead of 16 keep it short.
      .map((n) => (n.type === 'debug' ? { id: n.id, type: 'helper', name: n.name } : n.type === 'edge-ai-collect' ? { ...n, count: 4 } : n))
      .map((n) => ({ z: 'tab', ...n }));
    await helper.load(modules, [{ id: 'tab', type: 'tab', label: 'example' }, ...flow]);
    const byName = (name) => flow.find((n) => n.name === name).id;
    const states = collect(byName('collection state'), 2, 40000);
    const command = collect(byName('run this'), 1, 40000);
    helper.getNode(byName('start collecting')).receive({});
    const [started, done] = await states;
    assert.deepEqual([started.payload.state, done.payload.state, done.payload.kept], ['collecting', 'done', 4]);
    const folder = path.join(userDir, 'edge-ai-calibration');
    const files = fs.readdirSync(folder);
    assert.equal(files.length, 4);
    // At least 2 s apart: the frames' times in their names span 6 s or more.
    const times = files.map((f) => Date.parse(f.replace(/^frame-(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z.*$/, '$1-$2-$3T$4:$5:$6Z'))).sort();
    assert.ok(times[3] - times[0] >= 5000, `frame times ${times}`);
    assert.equal((await command)[0].payload, `npx edge-ai-model quantize MODEL.onnx --images ${folder}`);
  });
});

describe('edge-ai-collect\'s button route under adminAuth', function () {
  this.timeout(90000);
  let server;
  const PASSWORD = 'edge-ai-test';
  before(async () => {
    const hash = bcrypt.hashSync(PASSWORD, 8);
    server = await startServer({
      demo: false,
      settings: `  adminAuth: { type: 'credentials', users: [
    { username: 'viewer', password: '${hash}', permissions: 'read' },
  ], tokens: function (token) {
    return Promise.resolve(token === 'collector' ? { username: 'collector', permissions: 'edge-ai-collect.write' } : null);
  } },
`,
    });
  });
  after(() => server?.stop());

  it('is loaded, and answers 401 without a token, 403 to a read-only user, and lets edge-ai-collect.write through', async () => {
    const route = `${server.base}/edge-ai/collect/abc/toggle`;
    assert.equal((await fetch(route, { method: 'POST' })).status, 401);
    const login = await fetch(`${server.base}/auth/token`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: 'read', username: 'viewer', password: PASSWORD }),
    });
    const { access_token: viewerToken } = await login.json();
    // The runtime loaded the node (from package.json, as a user's Node-RED does).
    const sets = await (await fetch(`${server.base}/nodes`, { headers: { Accept: 'application/json', Authorization: `Bearer ${viewerToken}` } })).json();
    const set = sets.find((s) => s.types.includes('edge-ai-collect'));
    assert.ok(set && set.enabled && !set.err, JSON.stringify(set));
    const asViewer = await fetch(route, { method: 'POST', headers: { Authorization: `Bearer ${viewerToken}` } });
    assert.equal(asViewer.status, 403);
    assert.match((await asViewer.json()).error, /edge-ai-collect\.write/);
    // Past the permission: no such node is deployed.
    const asCollector = await fetch(route, { method: 'POST', headers: { Authorization: 'Bearer collector' } });
    assert.equal(asCollector.status, 404);
    assert.equal((await asCollector.json()).error, 'This collect node is not deployed');
    assert.doesNotMatch(server.output(), /\[error\]/);
  });
});
