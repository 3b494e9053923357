'use strict';
// The camera engine without Node-RED: pulled and pushed sources, continuous and on demand,
// start and stop, requests in order, on a clock the test moves by hand.
const assert = require('node:assert/strict');
const { Camera, FrameGate } = require('../../dist/lib/camera');
const { ManualClock } = require('../helpers/clock');

/** A pulled source that counts its frames; `finite` frames, then none. */
function countingSource({ finite, slow } = {}) {
  let n = 0;
  return {
    closed: false,
    async next() {
      if (slow) await slow();
      if (finite !== undefined && n >= finite) return undefined;
      n++;
      return { data: Buffer.from(`frame ${n}`), width: 4, height: 3, source: 'test' };
    },
    close() { this.closed = true; },
  };
}

/** A pushed capture the test feeds by hand; `made` counts the captures made. */
function handCapture() {
  const made = [];
  const make = (events) => {
    const capture = { started: 0, closed: 0, start() { this.started++; }, async close() { this.closed++; }, events };
    made.push(capture);
    return { capture, label: 'rtsp://camera/stream', raw: { width: 2, height: 2 } };
  };
  const push = (text) => made[made.length - 1].events.frame(Buffer.from(text));
  return { make, made, push };
}

function recorder() {
  const frames = [];
  const states = [];
  const errors = [];
  return { frames, states, errors, events: { frame: (f) => frames.push(f), state: (s) => states.push(s.state), error: (e) => errors.push(e) } };
}

/** A pulled source whose answers the test sets: a frame, or an error with a message. */
function scriptedSource() {
  const source = {
    answer: { error: 'Image file not found: /x/a.jpg' },
    async next() {
      if (source.answer.error) throw new Error(source.answer.error);
      return { data: Buffer.from('frame'), width: 4, height: 3, source: 'test' };
    },
    close() {},
  };
  return source;
}

describe('camera engine', () => {
  it('says a lasting failure of a continuous source once, and again when it changes, after a frame, or after a restart', async () => {
    const clock = new ManualClock();
    const seen = recorder();
    const source = scriptedSource();
    const camera = new Camera({ kind: 'pull', source, sourceKind: 'file' }, { continuous: true, fps: 5, clock }, seen.events);
    camera.start();
    await clock.advance(2000);
    assert.deepEqual(seen.errors.map((e) => e.message), ['Image file not found: /x/a.jpg'], 'ten failed ticks, one error');
    source.answer = { error: 'Could not decode the jpeg image' };
    await clock.advance(1000);
    assert.equal(seen.errors.length, 2, 'a new reason is said');
    source.answer = {};
    await clock.advance(400);
    assert.ok(seen.frames.length >= 1);
    source.answer = { error: 'Could not decode the jpeg image' };
    await clock.advance(1000);
    assert.equal(seen.errors.length, 3, 'the same reason again after a frame came in between');
    camera.command('stop');
    camera.command('start');
    await clock.advance(1000);
    assert.equal(seen.errors.length, 4, 'and after a restart by hand');
    await camera.close();
  });

  it('pulls a continuous source at its rate, numbers the frames, stops and starts on command', async () => {
    const clock = new ManualClock();
    const seen = recorder();
    const camera = new Camera({ kind: 'pull', source: countingSource(), sourceKind: 'pattern' }, { continuous: true, fps: 5, clock }, seen.events);
    camera.start();
    assert.deepEqual(seen.states, ['starting']);
    await clock.advance(999);
    assert.deepEqual(seen.frames.map((f) => f.seq), [1, 2, 3, 4, 5], 'frames at 0, 200, 400, 600, 800 ms');
    assert.equal(seen.frames[1].time - seen.frames[0].time, 200);
    assert.equal(camera.command('stop'), 'stop');
    await clock.advance(1000);
    assert.equal(seen.frames.length, 5, 'nothing while stopped');
    assert.equal(camera.command('start'), 'start');
    await clock.advance(1);
    assert.equal(seen.frames.length, 6);
    assert.equal(camera.command('something else'), undefined);
    await camera.close();
    await clock.advance(1000);
    assert.equal(seen.frames.length, 6, 'nothing after close');
  });

  it('says when a continuous folder has no more frames', async () => {
    const clock = new ManualClock();
    const seen = recorder();
    const camera = new Camera({ kind: 'pull', source: countingSource({ finite: 2 }), sourceKind: 'folder' }, { continuous: true, fps: 10, clock }, seen.events);
    camera.start();
    await clock.advance(1000);
    assert.equal(seen.frames.length, 2);
    assert.deepEqual(seen.states, ['starting', 'finished']);
    assert.equal(clock.pending, 0, 'no timer left');
  });

  it('answers on-demand requests of a pulled source one after another, in order, even when the source is slow', async () => {
    const clock = new ManualClock();
    const seen = recorder();
    let release;
    const gate = () => new Promise((r) => { release = r; });
    const source = countingSource({ slow: () => gate() });
    const camera = new Camera({ kind: 'pull', source, sourceKind: 'file' }, { continuous: false, fps: 5, clock }, seen.events);
    camera.start();
    assert.deepEqual(seen.states, ['onDemand']);
    const answers = [camera.grab(), camera.grab(), camera.grab()];
    for (let i = 0; i < 3; i++) {
      await clock.advance(0);
      release();
    }
    const frames = await Promise.all(answers);
    assert.deepEqual(frames.map((f) => [f.seq, String(f.data)]), [[1, 'frame 1'], [2, 'frame 2'], [3, 'frame 3']]);
    await camera.close();
    assert.ok(source.closed);
  });

  it('refuses a file or URL from a request unless allowed, and reads it when allowed', async () => {
    const plain = new Camera({ kind: 'pull', source: countingSource(), sourceKind: 'file' }, { continuous: false, fps: 5 }, recorder().events);
    await assert.rejects(plain.grab({ path: 'other.jpg' }), (err) => err.code === 'msgSourceOff' && /msg\.path/.test(err.message));
    const opened = [];
    const allowed = new Camera({ kind: 'pull', source: countingSource(), sourceKind: 'file' }, {
      continuous: false, fps: 5,
      fromMessage: async (named) => { opened.push(named.path); return { next: async () => ({ data: Buffer.from('named'), width: 1, height: 1, source: named.path }), close() {} }; },
    }, recorder().events);
    const frame = await allowed.grab({ path: 'other.jpg' });
    assert.deepEqual([String(frame.data), frame.source, opened], ['named', 'other.jpg', ['other.jpg']]);
  });

  it('gates a continuous pushed capture to its rate, keeping only the newest frame and counting the skipped', async () => {
    const clock = new ManualClock();
    const seen = recorder();
    const hand = handCapture();
    const camera = new Camera({ kind: 'push', make: hand.make }, { continuous: true, fps: 2, clock }, seen.events);
    camera.start();
    assert.equal(hand.made[0].started, 1);
    hand.push('a');
    hand.push('b');
    hand.push('c');
    assert.deepEqual(seen.frames.map((f) => String(f.data)), ['a'], 'the first at once');
    await clock.advance(500);
    assert.deepEqual(seen.frames.map((f) => String(f.data)), ['a', 'c'], 'then the newest after 500 ms');
    assert.equal(camera.skipped, 1);
    assert.deepEqual([seen.frames[1].width, seen.frames[1].format, seen.frames[1].source], [2, 'rgb', 'rtsp://camera/stream']);
    await camera.close();
    assert.equal(hand.made[0].closed, 1);
  });

  it('gives an on-demand request the newest pushed frame, or the next one, and an error when closed first', async () => {
    const hand = handCapture();
    const camera = new Camera({ kind: 'push', make: hand.make }, { continuous: false, fps: 5 }, recorder().events);
    camera.start();
    hand.push('old');
    hand.push('new');
    assert.equal(String((await camera.grab()).data), 'new');
    const waiting = [camera.grab(), camera.grab()];
    hand.push('next');
    assert.deepEqual((await Promise.all(waiting)).map((f) => [String(f.data), f.seq]), [['next', 2], ['next', 3]]);
    const unanswered = camera.grab();
    await camera.close();
    await assert.rejects(unanswered, (err) => err.code === 'cameraClosed');
  });

  it('stops a pushed capture on "stop" and makes a new one on "start" once the old one is gone; the last command wins', async () => {
    const hand = handCapture();
    const camera = new Camera({ kind: 'push', make: hand.make }, { continuous: true, fps: 5 }, recorder().events);
    camera.start();
    camera.command('stop');
    assert.equal(hand.made[0].closed, 1);
    camera.command('start');
    await new Promise((r) => setImmediate(r));
    assert.equal(hand.made.length, 2);
    assert.equal(hand.made[1].started, 1);
    camera.command('stop');
    camera.command('start');
    camera.command('stop');
    await new Promise((r) => setImmediate(r));
    assert.equal(hand.made.length, 2, 'a start followed by a stop makes no capture');
    await camera.close();
  });

  it('sends nothing once closed, though its capture still delivers until its process has gone, and leaves no timer', async () => {
    const clock = new ManualClock();
    const seen = recorder();
    const hand = handCapture();
    const camera = new Camera({ kind: 'push', make: hand.make }, { continuous: true, fps: 10, clock }, seen.events);
    camera.start();
    hand.push('a');
    hand.push('b');
    assert.equal(clock.pending, 1, 'b waits for its turn');
    await camera.close();
    hand.push('late');
    await clock.advance(1000);
    assert.deepEqual(seen.frames.map((f) => String(f.data)), ['a']);
    assert.equal(clock.pending, 0);
    const gate = new FrameGate(10, () => assert.fail('a closed gate let a frame out'), clock);
    gate.close();
    gate.offer('x');
    await clock.advance(1000);
    assert.equal(clock.pending, 0);
  });

  it('fails a request that waits in vain at its deadline, saying what the capture last said, and refuses more than the bound at once', async () => {
    const clock = new ManualClock();
    const hand = handCapture();
    const camera = new Camera({ kind: 'push', make: hand.make }, { continuous: false, fps: 5, waitMs: 2000, clock }, recorder().events);
    camera.start();
    hand.made[0].events.state({ state: 'reconnecting', delayMs: 1000, reason: 'Connection refused' });
    const waiting = Array.from({ length: 16 }, () => camera.grab());
    await assert.rejects(camera.grab(), (err) => err.code === 'tooManyWaiting' && /16 messages already wait/.test(err.message));
    const settled = waiting.map((p) => p.then(() => 'frame', (err) => err));
    await clock.advance(1999);
    hand.push('in time');
    const answers = await Promise.all(settled);
    assert.ok(answers.every((a) => a === 'frame'), 'a frame before the deadline answers all');
    const late = camera.grab().catch((err) => err);
    await clock.advance(2000);
    const err = await late;
    assert.equal(err.code, 'frameTimeout');
    assert.match(err.message, /No frame from rtsp:\/\/camera\/stream in 2 s \(the capture says: Connection refused\)/);
    assert.equal(clock.pending, 0);
    await camera.close();
  });
});
