'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sharp = require('sharp');
const { helper, load, collect, statusOf, delay } = require('../helpers/flow');
const { images } = require('../helpers/paths');

const isJpeg = (b) => Buffer.isBuffer(b) && b[0] === 0xff && b[1] === 0xd8;

describe('camera node', function () {
  let tmp;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-camera-'));
    fs.copyFileSync(path.join(images, 'orange.jpg'), path.join(tmp, 'a.jpg'));
    fs.copyFileSync(path.join(images, 'cat.bmp'), path.join(tmp, 'b.bmp'));
    fs.writeFileSync(path.join(tmp, 'notes.txt'), 'not an image');
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  afterEach(() => helper.unload());

  const cameraFlow = (camera) => [
    { id: 'cam', type: 'edge-ai-camera', ...camera, wires: [['out']] },
    { id: 'out', type: 'helper' },
    { id: 'completer', type: 'complete', scope: ['cam'], uncaught: false, wires: [['completed']] },
    { id: 'completed', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];

  it('test pattern: JPEG frames of the set size, rising seq, moving content', async () => {
    await load(cameraFlow({ source: 'pattern', width: 320, height: 240, mode: 'continuous', fps: 20 }));
    const frames = await collect('out', 3);
    const seqs = frames.map((m) => m.frame.seq);
    assert.deepEqual(seqs, [seqs[0], seqs[0] + 1, seqs[0] + 2]);
    for (const msg of frames) {
      assert.ok(isJpeg(msg.payload));
      assert.equal(msg.image, msg.payload, 'msg.image is the same Buffer');
      assert.deepEqual([msg.frame.width, msg.frame.height, msg.frame.format, msg.frame.source], [320, 240, 'jpeg', 'pattern']);
      const meta = await sharp(msg.payload).metadata();
      assert.deepEqual([meta.width, meta.height], [320, 240]);
    }
    const [first, third] = await Promise.all([frames[0], frames[2]].map((m) => sharp(m.payload).raw().toBuffer()));
    let changed = 0;
    for (let i = 0; i < first.length; i++) if (Math.abs(first[i] - third[i]) > 40) changed++;
    assert.ok(changed > 500, `shapes moved: ${changed} bytes changed`);
  });

  it('continuous mode stops on "stop" and resumes on "start"', async () => {
    await load(cameraFlow({ source: 'pattern', width: 64, height: 48, mode: 'continuous', fps: 30 }));
    await collect('out', 2);
    helper.getNode('cam').receive({ payload: 'stop' });
    await delay(150);
    let after = 0;
    helper.getNode('out').on('input', () => after++);
    await delay(400);
    assert.equal(after, 0, 'no frames while stopped');
    helper.getNode('cam').receive({ payload: 'start' });
    await collect('out', 2);
  });

  it('image file: a JPEG passes through untouched, a BMP becomes a JPEG; the msg is reused', async () => {
    const jpegFile = path.join(images, 'orange.jpg');
    await load(cameraFlow({ source: 'file', path: jpegFile, mode: 'ondemand' }));
    let got = collect('out', 1);
    helper.getNode('cam').receive({ topic: 'mine', extra: 42 });
    let [msg] = await got;
    assert.ok(msg.payload.equals(fs.readFileSync(jpegFile)));
    assert.deepEqual([msg.topic, msg.extra, msg.frame.width, msg.frame.height], ['mine', 42, 512, 512]);
    await helper.unload();
    await load(cameraFlow({ source: 'file', path: path.join(images, 'grace_hopper.bmp'), mode: 'ondemand' }));
    got = collect('out', 1);
    helper.getNode('cam').receive({});
    [msg] = await got;
    assert.ok(isJpeg(msg.payload));
    assert.deepEqual([msg.frame.width, msg.frame.height], [512, 600]);
  });

  it('folder: image files in name order, looping or stopping at the end', async () => {
    await load(cameraFlow({ source: 'folder', path: tmp, mode: 'ondemand', loop: true }));
    let got = collect('out', 5);
    for (let i = 0; i < 5; i++) helper.getNode('cam').receive({});
    const names = (await got).map((m) => path.basename(m.frame.source));
    assert.deepEqual(names, ['a.jpg', 'b.bmp', 'a.jpg', 'b.bmp', 'a.jpg']);
    await helper.unload();

    await load(cameraFlow({ source: 'folder', path: tmp, mode: 'ondemand', loop: false }));
    got = collect('out', 2);
    const completed = collect('completed', 3);
    const finished = statusOf('cam', (s) => s.fill === 'grey', 5000);
    for (let i = 0; i < 3; i++) helper.getNode('cam').receive({ n: i });
    assert.deepEqual((await got).map((m) => m.n), [0, 1]);
    assert.equal((await completed).length, 3, 'the msg past the end completes without output');
    assert.equal((await finished).text, 'edge-ai-camera.status.finished', 'the status says finished');
  });

  it('a missing file is an error a Catch node receives', async () => {
    const missing = path.join(tmp, 'missing.jpg');
    await load(cameraFlow({ source: 'file', path: missing, mode: 'ondemand' }));
    const caught = collect('caught', 1);
    helper.getNode('cam').receive({});
    const [c] = await caught;
    assert.equal(c.error.message, `Error: Image file not found: ${missing}`);
  });
});

describe('trigger node', function () {
  afterEach(() => helper.unload());

  it('sends start on the msg, and end from its timer when frames stop coming', async () => {
    await load([
      { id: 'trig', type: 'edge-ai-trigger', labels: 'person, car', minScore: 0.5, minCount: 1, hold: 0.2, cooldown: 0, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const got = collect('out', 2, 5000);
    const results = [{ label: 'car', score: 0.8, classId: 2 }];
    helper.getNode('trig').receive({ topic: 'gate', payload: results });
    await delay(50);
    helper.getNode('trig').receive({ topic: 'gate', payload: [] });
    const [start, end] = await got;
    assert.deepEqual(start.payload.labels, ['car']);
    assert.equal(start.payload.type, 'start');
    assert.deepEqual(start.detections, results, 'the results it decided on ride along');
    assert.equal(start.topic, 'gate');
    assert.equal(end.payload.type, 'end');
    assert.equal(end.topic, 'gate');
    assert.ok(end.payload.duration >= 200, `duration ${end.payload.duration}`);
  });
});
