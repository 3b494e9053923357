'use strict';
// The trigger engine on recorded detection sequences with a made-up clock (a frame every
// 100 ms): debouncing, tracking through occlusions, zones, dwell, line crossings and counts.
const assert = require('node:assert/strict');
const { TriggerEngine, triggerConfigFrom, overlapShare, insidePolygon, signedDistance, crossesSegment } = require('../../dist/lib/trigger');

const FRAME = { width: 1000, height: 1000 };
const STEP = 100;

/** A person whose box has its feet (bottom centre) at (x, y). */
const person = (x, y, score = 0.9) => ({ label: 'person', classId: 0, score, box: { x: x - 20, y: y - 100, w: 40, h: 100 } });
const car = (x, y, score = 0.9) => ({ label: 'car', classId: 2, score, box: { x: x - 50, y: y - 40, w: 100, h: 40 } });

function engine(settings) {
  return new TriggerEngine(triggerConfigFrom({ units: 'pixels', labels: 'person', hold: 0, ...settings }));
}

/** Feed frames (arrays of detections) one per STEP; return every event with its frame number. */
function run(e, frames, size = FRAME) {
  const events = [];
  const outputs = [];
  frames.forEach((detections, i) => {
    const out = e.update(detections, size, i * STEP);
    outputs.push(out);
    for (const event of out.events) events.push({ frame: i, ...event });
  });
  return { events, outputs };
}

const types = (events, type) => events.filter((e) => e.type === type);
/** A walk from (x0, y0) to (x1, y1) over n frames. */
const walk = (x0, y0, x1, y1, n) => Array.from({ length: n }, (_, i) => [x0 + ((x1 - x0) * i) / (n - 1), y0 + ((y1 - y0) * i) / (n - 1)]);

describe('trigger geometry', () => {
  it('overlap share is exact for boxes cut by a polygon, inside tests and line sides agree with a drawing', () => {
    const square = [[0, 0], [100, 0], [100, 100], [0, 100]];
    assert.equal(overlapShare({ x: 50, y: 0, w: 100, h: 100 }, square), 0.5);
    assert.equal(overlapShare({ x: 200, y: 200, w: 10, h: 10 }, square), 0);
    assert.equal(overlapShare({ x: 10, y: 10, w: 10, h: 10 }, square), 1);
    // A triangle covering the lower-left half of the box.
    assert.ok(Math.abs(overlapShare({ x: 0, y: 0, w: 100, h: 100 }, [[0, 0], [0, 100], [100, 100]]) - 0.5) < 1e-9);
    // A concave L-shape: the notch is outside.
    const ell = [[0, 0], [100, 0], [100, 40], [40, 40], [40, 100], [0, 100]];
    assert.equal(insidePolygon([20, 80], ell), true);
    assert.equal(insidePolygon([80, 80], ell), false);
    const line = { name: 'l', from: [0, 500], to: [1000, 500] };
    assert.ok(signedDistance([10, 600], line) > 0, 'below a left-to-right line is its right-hand side');
    assert.ok(signedDistance([10, 400], line) < 0);
    assert.equal(crossesSegment([500, 400], [500, 600], line), true);
    assert.equal(crossesSegment([1500, 400], [1500, 600], line), false, 'past the end of the line');
  });
});

describe('trigger engine: debouncing', () => {
  it('flicker below N of M never fires; N of M in a row does, once', () => {
    const e = engine({ framesNeeded: 3, framesWindow: 5, hold: 0.5 });
    // Seen in 2 of every 5 frames, for 40 frames: never 3 of the last 5.
    const flicker = Array.from({ length: 40 }, (_, i) => (i % 5 === 0 || i % 5 === 2 ? [person(500, 500)] : []));
    assert.deepEqual(run(e, flicker).events, []);
    const steady = engine({ framesNeeded: 3, framesWindow: 5, hold: 0.5 });
    const { events } = run(steady, [[], [person(500, 500)], [], [person(500, 500)], [person(500, 500)], [person(500, 500)], [], [], [], [], [], [], [], [], []]);
    // True in frames 1, 3, 4, 5: 3 of 5 at frame 4; under 3 of 5 from frame 8, ended 500 ms later.
    assert.deepEqual(events.map((x) => [x.type, x.frame]), [['start', 4], ['end', 13]]);
  });

  it('max count and a rule zone limit what counts', () => {
    const e = engine({ maxCount: 2, ruleZone: 'door', zones: [{ name: 'door', points: [[0, 0], [300, 0], [300, 1000], [0, 1000]] }] });
    const { events } = run(e, [
      [person(800, 500), person(850, 500), person(900, 500)], // all outside the door
      [person(100, 500), person(200, 500), person(250, 500)], // three inside: above the max
      [person(100, 500), person(800, 500)], // one inside
    ]);
    const starts = types(events, 'start');
    assert.equal(starts.length, 1);
    assert.deepEqual([starts[0].frame, starts[0].count, starts[0].zone], [2, 1, 'door']);
  });
});

describe('trigger engine: tracking', () => {
  it('an occlusion of a few frames keeps the same trackId, and a new object gets a new one', () => {
    const e = engine({ track: true, lostAfter: 1 });
    const path = walk(100, 500, 700, 500, 20);
    // Hidden for frames 8 to 11 (400 ms), walking on behind the obstacle.
    const frames = path.map(([x, y], i) => (i >= 8 && i <= 11 ? [] : [person(x, y)]));
    const { outputs } = run(e, frames);
    const ids = outputs.flatMap((o) => o.results.map((r) => r.trackId)).filter((id) => id !== undefined);
    assert.ok(ids.length >= 14, `tracked in ${ids.length} frames`);
    assert.deepEqual([...new Set(ids)], [ids[0]], 'one track all the way');
    // During the occlusion the track lives on, unseen.
    assert.deepEqual(outputs[10].tracks.map((t) => [t.trackId, t.seen]), [[ids[0], false]]);
    const later = e.update([person(900, 200)], FRAME, 2000);
    assert.equal(later.results[0].trackId, undefined, 'needs three frames before it gets an ID');
    e.update([person(902, 200)], FRAME, 2100);
    const third = e.update([person(904, 200)], FRAME, 2200);
    assert.ok(third.results[0].trackId > ids[0]);
  });

  it('keeps a track through low-score frames (ByteTrack second pass) but starts none from them', () => {
    const e = engine({ track: true, minScore: 0.5 });
    const frames = walk(100, 500, 500, 500, 12).map(([x, y], i) => [person(x, y, i >= 5 ? 0.3 : 0.9)]);
    frames.push([person(900, 900, 0.3)], [person(900, 900, 0.3)], [person(900, 900, 0.3)], [person(900, 900, 0.3)]);
    const { outputs } = run(e, frames);
    assert.equal(outputs[11].results[0].trackId, outputs[4].results[0].trackId, 'the half-hidden person keeps the ID');
    assert.deepEqual(outputs[15].results, [], 'a low-score box alone never becomes a track, and is not passed on');
  });

  it('a one-frame flicker never gets an ID, and other labels are not tracked', () => {
    const e = engine({ track: true });
    const { outputs } = run(e, [[person(300, 300), car(600, 600)], [], [car(600, 600)], [car(600, 600)]]);
    assert.ok(outputs.every((o) => o.results.every((r) => r.trackId === undefined)));
    assert.deepEqual(outputs[3].tracks, []);
  });
});

describe('trigger engine: zones and lines', () => {
  const door = { name: 'door', points: [[400, 0], [600, 0], [600, 1000], [400, 1000]] };
  const line = { name: 'gate', from: [500, 0], to: [500, 1000], directions: ['in', 'out'] };

  it('one object crossing a line once gives exactly one cross, in the right direction', () => {
    const e = engine({ lines: [line] });
    // The line runs downwards; walking down it, x < 500 is on the right hand. Walking from there
    // to x > 500 is the second direction, 'out'.
    const { events } = run(e, walk(100, 500, 900, 500, 20).map(([x, y]) => [person(x, y)]));
    const crosses = types(events, 'cross');
    assert.equal(crosses.length, 1);
    assert.equal(crosses[0].direction, 'out');
    assert.deepEqual(crosses[0].totals, { in: 0, out: 1 });
    // Walking back the other way counts the other direction.
    const back = engine({ lines: [line] });
    const reverse = types(run(back, walk(900, 500, 100, 500, 20).map(([x, y]) => [person(x, y)])).events, 'cross');
    assert.deepEqual(reverse.map((c) => c.direction), ['in']);
  });

  it('two objects crossing in opposite directions give one each, with their own track IDs', () => {
    const e = engine({ lines: [line] });
    const a = walk(100, 300, 900, 300, 20);
    const b = walk(900, 700, 100, 700, 20);
    const { events } = run(e, a.map((p, i) => [person(...p), person(...b[i])]));
    const crosses = types(events, 'cross');
    assert.deepEqual(crosses.map((c) => c.direction).sort(), ['in', 'out']);
    assert.notEqual(crosses[0].trackId, crosses[1].trackId);
    assert.deepEqual(crosses[crosses.length - 1].totals, { in: 1, out: 1 });
  });

  it('jitter on the line or a walk past its end gives no crossing', () => {
    const e = engine({ lines: [line], zones: [door] });
    // Someone standing on the line, feet swaying 20 px either side (the margin is 2% of the
    // diagonal, 28 px): no crossings, one enter into the door zone around it, no leave.
    const wobble = Array.from({ length: 30 }, (_, i) => [person(500 + (i % 2 ? 20 : -20), 500)]);
    const { events } = run(e, wobble);
    assert.deepEqual(types(events, 'cross'), []);
    assert.equal(types(events, 'enter').length, 1, 'inside the door, once');
    assert.deepEqual(types(events, 'leave'), []);
    const short = engine({ lines: [{ ...line, to: [500, 400] }] });
    assert.deepEqual(types(run(short, walk(100, 800, 900, 800, 20).map(([x, y]) => [person(x, y)])).events, 'cross'), []);
  });

  it('enter, dwell once at the threshold, leave with the time spent, and counts as they change', () => {
    const e = engine({ zones: [door], dwell: 1 });
    // In from the left, 20 frames (2 s) inside, out to the right.
    const path = [...walk(200, 500, 500, 500, 5), ...Array.from({ length: 20 }, () => [500, 500]), ...walk(500, 500, 900, 500, 5)];
    const { events } = run(e, path.map(([x, y]) => [person(x, y)]));
    const enter = types(events, 'enter');
    const dwell = types(events, 'dwell');
    const leave = types(events, 'leave');
    assert.equal(enter.length, 1);
    assert.equal(dwell.length, 1);
    assert.equal(dwell[0].time - enter[0].time, 1000, 'dwell at exactly 1 s');
    assert.equal(leave.length, 1);
    assert.equal(leave[0].dwell, leave[0].time - enter[0].time);
    assert.deepEqual(types(events, 'count').map((c) => [c.count, c.previous]), [[1, 0], [0, 1]]);
    assert.equal(enter[0].count, 1);
    assert.equal(leave[0].count, 0);
  });

  it('a track lost inside a zone leaves it as lost, and the count drops', () => {
    const e = engine({ zones: [door], lostAfter: 0.5 });
    const frames = [...Array.from({ length: 6 }, () => [person(500, 500)]), ...Array.from({ length: 8 }, () => [])];
    const { events } = run(e, frames);
    const leave = types(events, 'leave');
    assert.equal(leave.length, 1);
    assert.equal(leave[0].lost, true);
    assert.deepEqual(types(events, 'count').map((c) => c.count), [1, 0]);
  });

  it('zones in fractions of the frame follow the frame size, and need one', () => {
    const e = engine({ units: 'relative', zones: [{ name: 'left', points: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] }] });
    const { outputs } = run(e, Array.from({ length: 4 }, () => [person(300, 500)]), { width: 1000, height: 600 });
    assert.deepEqual(outputs[3].zones[0].points, [[0, 0], [500, 0], [500, 600], [0, 600]]);
    assert.equal(outputs[3].zones[0].count, 1);
    assert.throws(() => e.update([person(1, 1)], undefined, 1000), /need the frame size/);
  });

  it('refuses settings that make no sense, naming them', () => {
    assert.throws(() => triggerConfigFrom({ zones: [{ name: 'a', points: [[0, 0], [1, 1]] }] }), /zone a.*at least 3 \[x, y\] points/);
    assert.throws(() => triggerConfigFrom({ zones: [{ name: 'a', points: [[0, 0], [2, 0], [0, 1]] }] }), /points between 0 and 1/);
    assert.throws(() => triggerConfigFrom({ lines: [{ name: 'x', from: [0, 0], to: [1, 1] }, { name: 'x', from: [0, 0], to: [1, 1] }] }), /a name used once/);
    assert.throws(() => triggerConfigFrom({ lines: [{ name: 'x', from: [0, 0], to: [1, 1], directions: ['in', 'in'] }] }), /two different names/);
    assert.throws(() => triggerConfigFrom({ ruleZone: 'yard' }), /ruleZone.*one of the zones \(none defined\)/);
    assert.throws(() => triggerConfigFrom({ framesNeeded: 4, framesWindow: 3 }), /framesNeeded.*from 1 to 3/);
  });
});
