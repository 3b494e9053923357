'use strict';
// The trigger node in Node-RED with zones and lines: events on output 1, every frame with
// track IDs on output 2, rules changed by msg, annotate drawing the zones, and the frame preview.
const assert = require('node:assert/strict');
const sharp = require('sharp');
const { helper, load, collect } = require('../helpers/flow');

const WIDTH = 640;
const HEIGHT = 480;
const person = (x, y, score = 0.9) => ({ label: 'person', classId: 0, score, box: { x: x - 20, y: y - 80, w: 40, h: 80 } });
/** Frames of one person walking from x0 to x1 along y, 100 ms apart. */
const walk = (x0, x1, y, n) => Array.from({ length: n }, (_, i) => [person(x0 + ((x1 - x0) * i) / (n - 1), y)]);

const ZONE = { name: 'door', points: [[0.4, 0], [0.6, 0], [0.6, 1], [0.4, 1]] };
const LINE = { name: 'gate', from: [0.5, 0], to: [0.5, 1], directions: ['in', 'out'] };

function flow(trigger = {}) {
  return [
    { id: 'trigger', type: 'edge-ai-trigger', labels: 'person', hold: 0, zones: [ZONE], lines: [LINE], ...trigger, wires: [['events'], ['frames']] },
    { id: 'events', type: 'helper' },
    { id: 'frames', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
}

/** Send detection frames, each with msg.frame as the camera sets it. */
function feed(frames, start = 0) {
  const trigger = helper.getNode('trigger');
  frames.forEach((payload, i) => trigger.receive({ topic: 'cam1', payload, frame: { width: WIDTH, height: HEIGHT, time: 1e6 + (start + i) * 100, seq: start + i } }));
}

describe('trigger node: zones, lines and tracks', function () {
  this.timeout(30000);
  afterEach(() => helper.unload());

  it('sends enter, cross, leave and counts on output 1 and every frame with track IDs on output 2', async () => {
    await load(flow());
    const frames = walk(100, 540, 300, 20);
    const everyFrame = collect('frames', frames.length);
    const events = [];
    helper.getNode('events').on('input', (msg) => events.push(msg));
    feed(frames);
    const out = await everyFrame;
    // The start/end rule (a person in view) starts at once; the zone and line events follow.
    assert.deepEqual(events.map((m) => m.payload.type), ['start', 'enter', 'count', 'cross', 'leave', 'count']);
    const cross = events[3];
    assert.equal(cross.topic, 'cam1');
    assert.deepEqual([cross.payload.line, cross.payload.direction, cross.payload.totals], ['gate', 'out', { in: 0, out: 1 }]);
    // Walking right, the person is in the door zone from x = 256 to x = 384 (plus the margin).
    const enter = events[1].payload;
    const leave = events[4].payload;
    assert.equal(enter.zone, 'door');
    assert.equal(leave.trackId, enter.trackId);
    assert.ok(leave.dwell >= 200 && leave.dwell <= 800, `dwell ${leave.dwell}`);
    // Output 2: from the third frame on, the detection carries its track ID; zones in pixels.
    assert.equal(out[1].payload[0].trackId, undefined);
    assert.equal(out[2].payload[0].trackId, enter.trackId);
    assert.deepEqual(out[19].zones[0].points, [[256, 0], [384, 0], [384, 480], [256, 480]]);
    assert.deepEqual(out[19].lines[0].totals, { in: 0, out: 1 });
    assert.equal(out[19].tracks[0].trackId, enter.trackId);
    assert.ok(cross.detections.every((d) => d.trackId === enter.trackId));
  });

  it('msg.rules is refused unless allowed; allowed, bad rules are refused and the running ones stay', async () => {
    await load(flow());
    const refused = collect('caught', 1);
    helper.getNode('trigger').receive({ rules: { lines: [] } });
    assert.match((await refused)[0].error.message, /does not take rules from messages/);
    await helper.unload();

    await load(flow({ msgRules: true }));
    const bad = collect('caught', 1);
    helper.getNode('trigger').receive({ rules: { lines: [{ name: 'x', from: [0, 0], to: [2, 2] }] } });
    assert.match((await bad)[0].error.message, /points between 0 and 1/);
    // The old line still counts.
    const first = collect('events', 6);
    feed(walk(100, 540, 300, 20));
    assert.equal((await first).find((m) => m.payload.type === 'cross').payload.line, 'gate');
    // New rules: a horizontal line only; walking right along y = 300 crosses nothing, walking down does.
    // A line left to right: walking down the screen crosses towards its right-hand side, 'south'.
    helper.getNode('trigger').receive({ rules: { zones: [], lines: [{ name: 'road', from: [0, 0.5], to: [1, 0.5], directions: ['south', 'north'] }] } });
    const events = [];
    helper.getNode('events').on('input', (msg) => events.push(msg.payload));
    const frames = collect('frames', 40);
    feed([...walk(100, 540, 100, 20), ...Array.from({ length: 20 }, (_, i) => [person(320, 100 + i * 20)])], 100);
    await frames;
    assert.deepEqual(events.filter((e) => e.type !== 'start').map((e) => [e.type, e.line, e.direction]), [['cross', 'road', 'south']]);
  });

  it('annotate draws the zones and lines the trigger passes on', async () => {
    await load([
      ...flow().map((n) => (n.id === 'trigger' ? { ...n, wires: [['events'], ['annotate']] } : n)),
      { id: 'annotate', type: 'edge-ai-annotate', lineWidth: 4, wires: [['drawn']] },
      { id: 'drawn', type: 'helper' },
    ]);
    const black = await sharp({ create: { width: WIDTH, height: HEIGHT, channels: 3, background: '#000' } }).jpeg().toBuffer();
    const drawn = collect('drawn', 1);
    helper.getNode('trigger').receive({ payload: [], image: black, frame: { width: WIDTH, height: HEIGHT, time: 1, format: 'jpeg' } });
    const [msg] = await drawn;
    const { data, info } = await sharp(msg.payload).raw().toBuffer({ resolveWithObject: true });
    const at = (x, y) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
    const near = (got, want) => got.every((v, i) => Math.abs(v - want[i]) < 60);
    // The zone's outline (#00c2ff) on its left edge, the line (#ffb21d) down the middle.
    assert.ok(near(at(256, 300), [0, 194, 255]), `zone edge ${at(256, 300)}`);
    assert.ok(near(at(320, 450), [255, 178, 29]), `line ${at(320, 450)}`);
    assert.ok(near(at(100, 300), [0, 0, 0]), 'elsewhere untouched');
  });

  it('serves the latest frame small to the editor, and says when there is none', async () => {
    await load(flow());
    await helper.request().get('/edge-ai/preview/trigger').expect(404);
    const big = await sharp({ create: { width: 1280, height: 960, channels: 3, background: '#204060' } }).jpeg().toBuffer();
    const passed = collect('frames', 1);
    helper.getNode('trigger').receive({ payload: [], image: big, frame: { width: 1280, height: 960, time: 1, format: 'jpeg' } });
    await passed;
    const response = await helper.request().get('/edge-ai/preview/trigger').expect(200).expect('Content-Type', 'image/jpeg');
    assert.deepEqual([response.headers['x-frame-width'], response.headers['x-frame-height']], ['1280', '960']);
    const meta = await sharp(response.body).metadata();
    assert.deepEqual([meta.width, meta.height], [640, 480]);
    // Gone with the node.
    await helper.unload();
    await load(flow());
    await helper.request().get('/edge-ai/preview/trigger').expect(404);
  });
});
