'use strict';
// Defects found by an adversarial pass (issue 18), each with the test that showed it, through a
// real Node-RED runtime. The engine-only ones are in test/engine/adversarial.test.js.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const http = require('node:http');
const path = require('node:path');
const { helper, load, collect, statusOf } = require('../helpers/flow');
const { images, models } = require('../helpers/paths');
const { delay, until } = require('../helpers/wait');
const { buildModel } = require('../helpers/onnx-builder');

const MOBILENET = path.join(models, 'classification', 'mobilenet_v2_224_int8_qdq.onnx');
const LABELS = path.join(models, 'classification', 'imagenet_labels_1001.txt');
/** Read when a test runs, so that a clone without the photo skips this file instead of failing to load it. */
const orange = () => fs.readFileSync(path.join(images, 'orange.jpg'));

/** Every error a node reports (done(err) or node.error), also while and after it closes. */
function errorsOf(id) {
  const errors = [];
  const node = helper.getNode(id);
  const report = node.error;
  node.error = function (err, ...rest) {
    errors.push(String(err?.message ?? err));
    return report.call(this, err, ...rest);
  };
  return errors;
}

describe('adversarial pass: through Node-RED', function () {
  this.timeout(60000);
  afterEach(() => helper.unload());

  it('defect 6: batch msgs accepted while the model loads get an error when a redeploy cuts them off, not a silent done', async () => {
    await load([
      { id: 'model', type: 'edge-ai-model', path: MOBILENET, labelsSource: 'file', labelsFile: LABELS },
      { id: 'pre', type: 'edge-ai-preprocess', settings: 'manual', width: 224, height: 224, wires: [['infer']] },
      { id: 'infer', type: 'edge-ai-infer', model: 'model', mode: 'batch', queueSize: 10, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const errors = errorsOf('infer');
    const results = [];
    helper.getNode('out').on('input', (msg) => results.push(msg));
    const tensor = { data: Buffer.alloc(3 * 224 * 224 * 4), dims: [1, 3, 224, 224], type: 'float32' };
    for (let i = 0; i < 3; i++) helper.getNode('infer').receive({ payload: tensor });
    await helper.unload();
    await delay(100);
    assert.equal(results.length + errors.length, 3, `every accepted msg answered: ${results.length} results, errors ${JSON.stringify(errors)}`);
    assert.ok(errors.every((e) => /redeploy|closed/.test(e)), JSON.stringify(errors));
  });

  it('defect 7: msg.rules that are not a rule set are refused, and never reset the counts or reuse track IDs', async () => {
    const person = (x, y) => ({ label: 'person', classId: 0, score: 0.9, box: { x: x - 20, y: y - 80, w: 40, h: 80 } });
    const walk = (x0, x1, n) => Array.from({ length: n }, (_, i) => [person(x0 + ((x1 - x0) * i) / (n - 1), 300)]);
    let time = 1e6;
    const feed = (frames) => frames.forEach((payload) => helper.getNode('trigger').receive({ payload, frame: { width: 640, height: 480, time: (time += 100) } }));
    await load([
      { id: 'trigger', type: 'edge-ai-trigger', labels: 'person', hold: 0, msgRules: true, lostAfter: 0.3,
        lines: [{ name: 'gate', from: [0.5, 0], to: [0.5, 1], directions: ['in', 'out'] }], wires: [['events'], ['frames']] },
      { id: 'events', type: 'helper' },
      { id: 'frames', type: 'helper' },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const out = [];
    helper.getNode('frames').on('input', (msg) => out.push(msg));
    const caught = [];
    helper.getNode('caught').on('input', (msg) => caught.push(msg.error.message));
    feed(walk(100, 540, 20));
    await until(() => out.length === 20, 'the first walk');
    const firstId = out[19].tracks[0].trackId;
    assert.deepEqual(out[19].lines[0].totals, { in: 0, out: 1 });
    const garbage = [null, 'x', 5, [], {}, { labels: { a: 1 } }, { bogus: 1 }, { minScore: 'high' },
      { lines: [{ name: 'flat', from: [0.2, 0.5], to: [0.2, 0.5] }] },
      { zones: [{ name: 'thin', points: [[0, 0], [0.5, 0.5], [1, 1]] }] }];
    for (const rules of garbage) helper.getNode('trigger').receive({ rules });
    await until(() => caught.length === garbage.length, `an error for each of ${garbage.length} bad rule sets (got ${JSON.stringify(caught)})`);
    assert.ok(caught.every((m) => /msg\.rules|rule|Setting|line|zone/i.test(m)), JSON.stringify(caught));
    assert.ok(caught.some((m) => /bogus/.test(m)) && caught.some((m) => /labels/.test(m)), JSON.stringify(caught));
    // A valid change of the rule alone keeps the tracks and the totals.
    helper.getNode('trigger').receive({ rules: { minScore: 0.6 } });
    // Later than lostAfter: the first person's track is gone, the next one is new.
    time += 5000;
    feed(walk(540, 100, 20));
    await until(() => out.length === 40, 'the walk back');
    assert.deepEqual(out[39].lines[0].totals, { in: 1, out: 1 }, 'totals go on');
    assert.ok(out[39].tracks[0].trackId > firstId, `a new track gets a new ID (${out[39].tracks[0].trackId} after ${firstId})`);
  });

  it('defect 1: a flood of detections into a trigger with zones is tracked in bounded work, and events copy none of it', async () => {
    await load([
      { id: 'trigger', type: 'edge-ai-trigger', labels: 'person', hold: 0, confirmFrames: 1,
        zones: [{ name: 'all', points: [[0, 0], [1, 0], [1, 1], [0, 1]] }], wires: [['events'], ['frames']] },
      { id: 'events', type: 'helper' },
      { id: 'frames', type: 'helper' },
    ]);
    const warnings = [];
    const trigger = helper.getNode('trigger');
    const warn = trigger.warn;
    trigger.warn = function (text, ...rest) { warnings.push(String(text)); return warn.call(this, text, ...rest); };
    const frames = [];
    const events = [];
    helper.getNode('frames').on('input', (msg) => frames.push(msg));
    helper.getNode('events').on('input', (msg) => events.push(msg));
    // 10,000 overlapping boxes, as an infer node with a threshold of 0 and maxDetections raised could send.
    const flood = (f) => Array.from({ length: 10000 }, (_, i) => ({ label: 'person', classId: 0, score: 0.5 + (i % 50) / 100, box: { x: 300 + (i % 7) + f, y: 200 + (i % 5), w: 40, h: 80 } }));
    const sent = [];
    for (let f = 0; f < 3; f++) {
      const annotations = [{ type: 'rect', bbox: [0, 0, 1, 1] }];
      sent.push(annotations);
      trigger.receive({ payload: flood(f), annotations, frame: { width: 640, height: 480, time: 1e6 + f * 100 } });
      await until(() => frames.length === f + 1, `frame ${f}`, 20000);
      // At most 200 detections tracked a frame and 400 tracks alive, where there were 10,000 of each.
      assert.ok(frames[f].tracks.length <= 400, `${frames[f].tracks.length} tracks`);
    }
    assert.ok(events.length > 0, 'events were sent');
    assert.ok(events.every((e) => sent.includes(e.annotations)), 'annotations shared, not copied per event');
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0], /10000|untracked/);
  });

  it('defect 2: an on-demand camera whose source is dead fails each msg after a deadline, and refuses msgs beyond a bound', async () => {
    await load([
      { id: 'cam', type: 'edge-ai-camera', source: 'video', path: '/nonexistent/video.mp4', mode: 'ondemand', stallTimeout: 1, wires: [['out']] },
      { id: 'out', type: 'helper' },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const caught = [];
    helper.getNode('caught').on('input', (msg) => caught.push({ id: msg._msgid, message: msg.error.message, at: Date.now() }));
    const sent = Date.now();
    for (let i = 0; i < 20; i++) helper.getNode('cam').receive({ payload: i });
    // The 16 that may wait fail at their deadline; the 4 beyond the bound at once.
    await until(() => caught.length === 20, `an error for each of 20 msgs (${caught.length} so far)`, 15000);
    const refused = caught.filter((c) => /already wait/.test(c.message));
    const late = caught.filter((c) => /No frame from/.test(c.message));
    assert.equal(refused.length, 4, JSON.stringify(caught.map((c) => c.message)));
    assert.equal(late.length, 16);
    // Order, not milliseconds: the refusals come as the msgs arrive, before any deadline passes.
    assert.ok(Math.max(...refused.map((c) => c.at)) <= Math.min(...late.map((c) => c.at)), 'the ones beyond the bound at once, before the others');
    assert.ok(late.every((c) => c.at - sent >= 900), 'the others at the deadline');
    assert.match(late[0].message, /video\.mp4/);
  });

  it('defect 3: a snapshot from a server that trickles fails at an overall deadline, and a close aborts the request', async () => {
    const sockets = new Set();
    const closedSockets = [];
    // A byte every 500 ms, forever: never silent long enough for an idle timeout.
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'image/jpeg' });
      const drip = setInterval(() => res.write(Buffer.from([0xff])), 500);
      res.on('close', () => clearInterval(drip));
    });
    server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => { sockets.delete(socket); closedSockets.push(Date.now()); }); });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${server.address().port}/snapshot.jpg`;
    try {
      await load([
        { id: 'cam', type: 'edge-ai-camera', source: 'snapshot', url, mode: 'ondemand', wires: [['out']] },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]);
      const caught = collect('caught', 1, 40000);
      const started = Date.now();
      helper.getNode('cam').receive({ payload: 'grab' });
      const [failure] = await caught;
      assert.match(failure.error.message, /Snapshot request to .*snapshot\.jpg failed: .*(\d+ s|deadline|longer)/);
      // The deadline is 10 s; three times that is a margin no load reaches, and far short of forever.
      assert.ok(Date.now() - started < 30000, `failed after ${Date.now() - started} ms`);
      // A second request in flight when the node closes: its socket goes at once.
      helper.getNode('cam').receive({ payload: 'grab' });
      await until(() => sockets.size === 1, 'the second request to connect', 5000);
      const closing = Date.now();
      await helper.unload();
      await until(() => sockets.size === 0, 'the request to be aborted by the close', 2000);
      assert.ok(closedSockets[closedSockets.length - 1] - closing < 1000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('defect 5: an MJPEG camera whose Content-Length lies sends whole frames only, and its status counts the bad parts', async () => {
    const jpegs = await Promise.all([0, 1, 2].map((i) => require('sharp')({ create: { width: 32, height: 24, channels: 3, background: { r: i * 80, g: 0, b: 0 } } }).jpeg().toBuffer()));
    const partOf = (data, length) => Buffer.concat([Buffer.from(`--cam\r\nContent-Type: image/jpeg\r\nContent-Length: ${length}\r\n\r\n`), data, Buffer.from('\r\n')]);
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'multipart/x-mixed-replace; boundary=cam' });
      let n = 0;
      const timer = setInterval(() => {
        const frame = jpegs[n % 3];
        // In turn: a length too short, too long, and a JPEG cut short.
        const lie = [partOf(frame, 40), partOf(frame, frame.length + 500), partOf(frame.subarray(0, 60), 60)][n % 3];
        res.write(Buffer.concat([lie, partOf(frame, frame.length)]));
        n++;
      }, 50);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      await load([
        { id: 'cam', type: 'edge-ai-camera', source: 'mjpeg', url: `http://127.0.0.1:${server.address().port}/stream`, mode: 'continuous', fps: 30, wires: [['out']] },
        { id: 'out', type: 'helper' },
      ]);
      const bad = statusOf('cam', (s) => /streamingBad/.test(s.text ?? ''), 10000);
      const frames = await collect('out', 12, 10000);
      for (const msg of frames) {
        const data = msg.payload;
        assert.ok(data[0] === 0xff && data[1] === 0xd8 && data[data.length - 2] === 0xff && data[data.length - 1] === 0xd9, 'a whole JPEG');
        assert.ok(jpegs.some((j) => j.equals(data)), 'exactly one of the frames sent, nothing cut, nothing glued');
      }
      await bad;
      await helper.unload();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('defect 9: a continuous camera\'s bad files reach a Catch node, each naming its file', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-bad-folder-'));
    fs.writeFileSync(path.join(folder, 'a-broken.jpg'), 'not a picture');
    fs.writeFileSync(path.join(folder, 'b-good.jpg'), orange());
    fs.writeFileSync(path.join(folder, 'c-cut.jpg'), orange().subarray(0, 500));
    try {
      await load([
        { id: 'cam', type: 'edge-ai-camera', source: 'folder', path: folder, mode: 'continuous', fps: 20, loop: false, wires: [['out']] },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]);
      const caught = await collect('caught', 2, 10000);
      const messages = caught.map((m) => m.error.message);
      assert.match(messages[0], /a-broken\.jpg/);
      assert.match(messages[1], /c-cut\.jpg/);
      assert.equal(caught[0].frame.source, path.join(folder, 'a-broken.jpg'), 'the msg says which file');
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  /** The error a Catch node receives for one msg sent to a node. */
  async function caughtFor(nodeId, msg) {
    const got = collect('caught', 1, 20000);
    helper.getNode(nodeId).receive(msg);
    return (await got)[0].error.message;
  }

  it('defect 9: errors name the field, the element and the file that is wrong, and say what to do', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-errors-'));
    const int64Model = path.join(tmp, 'int64.onnx');
    fs.writeFileSync(int64Model, buildModel({ nodes: [['Cast', ['image'], ['scores'], { to: 1 }]], inputs: [['image', 'int64', [1, 3, 8, 8]]], outputs: [['scores', 'float32', [1, 3, 8, 8]]] }));
    // A Keras HDF5 file (its signature is enough): another framework's file, named as such.
    const keras = path.join(tmp, 'model.h5');
    fs.writeFileSync(keras, Buffer.concat([Buffer.from('\x89HDF\r\n\x1a\n', 'latin1'), Buffer.alloc(64)]));
    try {
      await load([
        { id: 'model', type: 'edge-ai-model', path: MOBILENET, labelsSource: 'file', labelsFile: LABELS },
        { id: 'pre', type: 'edge-ai-preprocess', settings: 'model', model: 'model', wires: [['out']] },
        { id: 'infer', type: 'edge-ai-infer', model: 'model', mode: 'batch', wires: [['out']] },
        { id: 'model64', type: 'edge-ai-model', path: int64Model, task: 'raw' },
        { id: 'infer64', type: 'edge-ai-infer', model: 'model64', mode: 'batch', wires: [['out']] },
        { id: 'modelKeras', type: 'edge-ai-model', path: keras },
        { id: 'inferKeras', type: 'edge-ai-infer', model: 'modelKeras', mode: 'batch', wires: [['out']] },
        { id: 'trigger', type: 'edge-ai-trigger', labels: 'cat', wires: [['out'], ['out']] },
        { id: 'annotate', type: 'edge-ai-annotate', wires: [['out']] },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]);
      const floats = new Float32Array(3 * 224 * 224);
      assert.match(await caughtFor('infer', { payload: { data: floats, dims: [1, 3, 224, 224], type: 'float32' } }), /msg\.payload\.data .* must be a Buffer over the values \(Buffer\.from\(array\.buffer\)/);
      assert.match(await caughtFor('infer', { payload: { data: Buffer.from(floats.buffer), dims: ['1', 3, 224, 224], type: 'float32' } }), /msg\.payload\.dims .* whole numbers .* but is array of 4/);
      const pixels = Buffer.alloc(224 * 224 * 3);
      const convert = { type: 'float32', layout: 'NCHW', order: 'RGB', std: [1, 1, 1], dims: [1, 3, 224, 224] };
      assert.match(await caughtFor('infer', { payload: { data: pixels, dims: [1, 224, 224, 3], type: 'uint8', convert } }), /convert\.mean/);
      assert.match(await caughtFor('infer', { payload: { data: pixels, dims: [1, 224, 224, 3], type: 'uint8', convert: { ...convert, mean: [0, 0, 0], std: [1, 0, 1] } } }), /convert\.std .* other than 0/);
      assert.match(await caughtFor('infer64', { payload: { data: Buffer.alloc(192 * 8), dims: [1, 3, 8, 8], type: 'float32' } }), /takes int64 values/);
      assert.match(await caughtFor('inferKeras', { payload: { data: Buffer.from(floats.buffer), dims: [1, 3, 224, 224], type: 'float32' } }), /Keras \/ HDF5 .* not ONNX/);
      assert.match(await caughtFor('trigger', { payload: [{ label: 'cat', score: 0.9 }, { label: 'cat', score: '0.9' }] }), /Result 1 of msg\.payload needs a score \(a number\) but has string "0\.9"/);
      assert.match(await caughtFor('annotate', { payload: [{ label: 'cat', score: 0.9, classId: 1, box: null }], image: orange() }), /Detection 0 in msg\.payload .* box/);
      assert.match(await caughtFor('annotate', { payload: [], annotations: [{ type: 'rect', bbox: '1,2,3,4' }], image: orange() }), /Annotation 0 in msg\.annotations .* bbox must be a list/);
      // A label with control characters is drawn; text images are read.
      const drawn = collect('out', 1, 20000);
      helper.getNode('annotate').receive({ payload: [{ label: 'cat\u0000\u0007', score: 0.9, classId: 1, box: { x: 1, y: 1, w: 20, h: 20 } }], image: orange() });
      assert.ok(Buffer.isBuffer((await drawn)[0].payload));
      for (const text of [`data:image/jpeg;base64,${orange().toString('base64')}`, orange().toString('base64')]) {
        const tensor = collect('out', 1, 20000);
        helper.getNode('pre').receive({ payload: text });
        const { payload } = (await tensor)[0];
        assert.deepEqual(payload.convert?.dims ?? payload.dims, [1, 3, 224, 224], 'the tensor MobileNetV2 takes');
      }
      assert.match(await caughtFor('pre', { payload: 'not/an/image.jpg' }), /data: URL or base64 .* string "not\/an\/image\.jpg"/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
