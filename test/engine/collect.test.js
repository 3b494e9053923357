'use strict';
// The collect engine: the sampler as a state machine on a clock and a random source the test
// holds (interval and change gating, the reservoir's spread, the byte budget, bad settings), and
// the collector on a real folder with real images made by sharp.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sharp = require('sharp');
const { Collector, Sampler, collectCommand, collectConfigFrom, meanDifference, frameName, UNCHANGED_RECHECK_MS } = require('../../dist/lib/collect');

/** A seeded random source (mulberry32): the same sequence every run. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 16x16 thumbnail of one grey level, or with its first `changed` pixels set to another. */
function thumb(level, changed = 0, to = 1) {
  const t = new Float32Array(256).fill(level);
  t.fill(to, 0, changed);
  return t;
}

const config = (over = {}) => collectConfigFrom({ folder: '/tmp/collect-test', count: 5, interval: 1, minChange: 0.01, maxMegabytes: 100, ...over }, '/');

/** Accept a frame and, when it has a place, keep it as the file f<index> of `bytes`. */
function offer(sampler, thumbnail, now, bytes = 100) {
  const place = sampler.accept(thumbnail, now);
  if (typeof place === 'string') return { skipped: place };
  if (!sampler.fits(place, bytes)) return { skipped: 'tooLarge' };
  const frame = { name: `f${place.index}`, bytes, index: place.index };
  return { frame, place, event: sampler.keep(place, frame, now) };
}

describe('collect: settings', () => {
  before(() => { process.env.CAM = 'cam'; });
  after(() => { delete process.env.CAM; });

  it('completes the defaults and resolves the folder from the base dir', () => {
    const c = collectConfigFrom({}, '/data/node-red');
    assert.deepEqual(c, { folder: '/data/node-red/edge-ai-calibration', count: 64, intervalMs: 2000, minChange: 0.01, maxBytes: 100e6, whenFull: 'stop' });
    const fromEditor = collectConfigFrom({ folder: 'frames/${CAM}', count: '10', interval: '0.5', minChange: '0', maxMegabytes: '0.5', whenFull: 'keep-sampling' }, '/u');
    assert.deepEqual(fromEditor, { folder: '/u/frames/cam', count: 10, intervalMs: 500, minChange: 0, maxBytes: 500000, whenFull: 'keep-sampling' });
  });

  it('refuses bad settings, naming what was expected and what was received', () => {
    const bad = (over, message) => assert.throws(() => collectConfigFrom(over, '/u'), (err) => err.code === 'badSetting' && message.test(err.message));
    bad({ count: 0 }, /Setting "count" must be an integer from 1 to 10000 but is 0/);
    bad({ count: '10001' }, /"count" must be an integer from 1 to 10000 but is "10001"/);
    bad({ count: 2.5 }, /"count" must be an integer/);
    bad({ interval: -1 }, /Setting "interval" must be a number from 0 to 86400 but is -1/);
    bad({ minChange: 1.5 }, /Setting "minChange" must be a number from 0 to 1 but is 1.5/);
    bad({ maxMegabytes: 0 }, /Setting "maxMegabytes" must be a number from 0.01 to 1000000 but is 0/);
    bad({ whenFull: 'never' }, /Setting "whenFull" must be one of stop, keep-sampling but is "never"/);
    bad({ folder: '  ' }, /Setting "folder" must be the path of a folder but is "  "/);
    bad({ folder: 42 }, /Setting "folder" must be the path of a folder but is 42/);
    assert.throws(() => collectConfigFrom({ folder: '${NO_SUCH_VAR_HERE}/x' }, '/u'), /uses \$\{NO_SUCH_VAR_HERE\}, which is not set/);
  });
  it('takes only the commands start, stop and reset', () => {
    assert.equal(collectCommand('reset'), 'reset');
    assert.throws(() => collectCommand('go'), /msg.collect must be "start", "stop" or "reset" but is string "go"/);
    assert.throws(() => collectCommand(1), /but is number 1/);
  });
});

describe('collect: the sampler', () => {
  it('goes idle -> collecting -> done, and takes no frame outside collecting', () => {
    const s = new Sampler(config({ count: 2, interval: 0 }));
    assert.equal(s.state, 'idle');
    assert.equal(s.accept(thumb(0.1), 0), 'notCollecting');
    assert.deepEqual(s.start([]), { state: 'collecting', kept: 0, seen: 0, count: 2, bytes: 0 });
    assert.equal(offer(s, thumb(0.1), 0).event, undefined);
    assert.deepEqual(offer(s, thumb(0.5), 10).event, { state: 'done', kept: 2, seen: 2, count: 2, bytes: 200 });
    assert.equal(s.accept(thumb(0.9), 20), 'notCollecting');
    assert.equal(s.stop(), undefined, 'done is not stopped');
  });

  it('accepts a frame only once the interval since the last accepted one is over', () => {
    const s = new Sampler(config({ interval: 1, minChange: 0 }));
    s.start([]);
    assert.ok(offer(s, thumb(0.1), 10_000).frame);
    assert.equal(s.due(10_999), false);
    assert.equal(offer(s, thumb(0.2), 10_999).skipped, 'interval');
    assert.equal(s.due(11_000), true);
    assert.equal(offer(s, thumb(0.3), 11_000).frame.index, 2);
    // A clock that went back does not hold collection up for good.
    assert.ok(offer(s, thumb(0.4), 5_000).frame);
  });

  it('accepts a frame only when it differs from the last accepted one by more than the min. change', () => {
    const s = new Sampler(config({ interval: 0, minChange: 0.05 }));
    s.start([]);
    assert.ok(offer(s, thumb(0.5), 0).frame, 'the first frame has nothing to differ from');
    // 0.5 -> 0.52 everywhere: a difference of 0.02.
    assert.ok(Math.abs(meanDifference(thumb(0.5), thumb(0.52)) - 0.02) < 1e-6);
    assert.equal(offer(s, thumb(0.52), 100).skipped, 'unchanged');
    // After an unchanged frame the next ones are not looked at for a moment.
    assert.equal(s.due(100 + UNCHANGED_RECHECK_MS - 1), false);
    assert.equal(s.due(100 + UNCHANGED_RECHECK_MS), true);
    // 20 of 256 pixels from 0.5 to 1: 0.039, still too little; 40 pixels: 0.078.
    assert.equal(offer(s, thumb(0.5, 20), 1000).skipped, 'unchanged');
    assert.equal(offer(s, thumb(0.5, 40), 2000).frame.index, 2);
    // Measured against the last accepted frame, not the first.
    assert.equal(offer(s, thumb(0.5, 41), 3000).skipped, 'unchanged');
    assert.equal(s.seen, 2);
  });

  it('with min. change 0 takes identical frames', () => {
    const s = new Sampler(config({ interval: 0, minChange: 0, count: 3 }));
    s.start([]);
    for (let i = 0; i < 3; i++) assert.ok(offer(s, thumb(0.5), i).frame);
    assert.equal(s.state, 'done');
  });

  it('keeping on sampling: never more than N kept, each frame kept with chance N/seen, spread over all 1000', () => {
    const N = 50;
    const s = new Sampler(config({ count: N, interval: 0, minChange: 0, whenFull: 'keep-sampling' }), seeded(7));
    s.start([]);
    let replaced = 0;
    for (let i = 0; i < 1000; i++) {
      const { frame, place } = offer(s, thumb((i % 2) * 0.5), i * 100);
      if (place?.replaced) replaced++;
      assert.ok(s.kept.length <= N);
      if (i < N) assert.ok(frame, `frame ${i} fills the folder`);
    }
    assert.equal(s.state, 'collecting', 'never done');
    assert.equal(s.seen, 1000);
    assert.equal(s.kept.length, N);
    // Expected replacements: sum of N/i for i = 51..1000, about 149.
    assert.ok(replaced > 110 && replaced < 190, `${replaced} replacements`);
    const indices = s.kept.map((f) => f.index).sort((a, b) => a - b);
    assert.ok(indices[0] <= 100 && indices[N - 1] >= 900, `kept ${indices[0]}..${indices[N - 1]}`);
    const quarters = [0, 0, 0, 0];
    for (const i of indices) quarters[Math.floor((i - 1) / 250)]++;
    assert.ok(quarters.every((q) => q >= 6 && q <= 20), `kept per quarter of the stream: ${quarters}`);
    assert.equal(new Set(indices).size, N);
  });

  it('the reservoir is uniform: over many runs every frame of the stream is kept about N/seen of the time', () => {
    const random = seeded(42);
    const runs = 4000;
    const kept = new Array(40).fill(0);
    for (let run = 0; run < runs; run++) {
      const s = new Sampler(config({ count: 4, interval: 0, minChange: 0, whenFull: 'keep-sampling' }), random);
      s.start([]);
      for (let i = 0; i < 40; i++) offer(s, thumb(0), i);
      for (const f of s.kept) kept[f.index - 1]++;
    }
    // Each frame: kept in 4/40 of the runs (400 of 4000; the standard deviation is 19).
    for (const [i, n] of kept.entries()) assert.ok(n > 320 && n < 480, `frame ${i + 1} kept ${n} times of ${runs}`);
  });

  it('never exceeds the byte budget: a frame that does not fit is skipped, a replacement counts what it frees', () => {
    const s = new Sampler(config({ count: 4, interval: 0, minChange: 0, maxMegabytes: 0.01, whenFull: 'keep-sampling' }), () => 0);
    s.start([]);
    assert.ok(offer(s, thumb(0), 0, 4000).frame);
    assert.ok(offer(s, thumb(0), 1, 4000).frame);
    assert.equal(offer(s, thumb(0), 2, 2001).skipped, 'tooLarge', '10001 bytes would not fit');
    assert.ok(offer(s, thumb(0), 3, 2000).frame);
    assert.equal(s.bytes, 10000);
    assert.equal(offer(s, thumb(0), 4, 1).skipped, 'tooLarge');
    assert.equal(s.kept.length, 3);
    // Full in bytes but not in count: a skipped frame still counts as seen.
    assert.equal(s.seen, 5);
  });

  it('replacing frees the replaced frame\'s bytes', () => {
    const s = new Sampler(config({ count: 2, interval: 0, minChange: 0, maxMegabytes: 0.01, whenFull: 'keep-sampling' }), () => 0);
    s.start([]);
    offer(s, thumb(0), 0, 5000);
    offer(s, thumb(0), 1, 5000);
    // random() = 0: slot 0 is replaced; 5000 - 5000 + 5000 fits, 5001 does not.
    assert.equal(offer(s, thumb(0), 2, 5001).skipped, 'tooLarge');
    const { place } = offer(s, thumb(0), 3, 4000);
    assert.equal(place.replaced.name, 'f1');
    assert.deepEqual([s.bytes, s.kept.map((f) => f.name)], [9000, ['f4', 'f2']]);
  });

  it('starts from the frames already in the folder: counted, numbered on, and done at once when full', () => {
    const existing = [{ name: 'a', bytes: 10, index: 3 }, { name: 'b', bytes: 20, index: 9 }];
    const s = new Sampler(config({ count: 3, interval: 0, minChange: 0 }));
    assert.deepEqual(s.start(existing), { state: 'collecting', kept: 2, seen: 2, count: 3, bytes: 30 });
    const { frame, event } = offer(s, thumb(0), 0);
    assert.equal(frame.index, 10);
    assert.equal(event.state, 'done');
    const full = new Sampler(config({ count: 2 }));
    assert.equal(full.start(existing).state, 'done');
  });

  it('stops, starts again where it was, and resets to nothing', () => {
    const s = new Sampler(config({ count: 3, interval: 0, minChange: 0, whenFull: 'keep-sampling' }), seeded(1));
    s.start([]);
    for (let i = 0; i < 6; i++) offer(s, thumb(0), i);
    assert.deepEqual(s.stop(), { state: 'stopped', kept: 3, seen: 6, count: 3, bytes: 300 });
    assert.equal(s.stop(), undefined);
    assert.equal(s.accept(thumb(0), 100), 'notCollecting');
    // The same frames in the folder: the count of frames seen goes on.
    assert.equal(s.start([...s.kept]).seen, 6);
    assert.deepEqual(s.reset(), { state: 'idle', kept: 0, seen: 0, count: 3, bytes: 0 });
  });
});

describe('collect: the collector on a real folder', function () {
  this.timeout(30000);
  let tmp;
  const collectors = [];
  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-collect-')); });
  afterEach(async () => {
    await Promise.all(collectors.splice(0).map((c) => c.close()));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const collector = (over = {}, options = {}) => {
    const c = new Collector(collectConfigFrom({ folder: tmp, interval: 0, minChange: 0.01, ...over }, '/'), { owner: 'node-a', ...options });
    collectors.push(c);
    return c;
  };
  /** A 64x48 JPEG (or PNG) of one colour with a white square at `x`: different x, different frame. */
  const image = (x, format = 'jpeg') => sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 40, g: 60, b: 80 } } })
    .composite([{ input: { create: { width: 16, height: 16, channels: 3, background: '#ffffff' } }, left: x, top: 16 }])[format]().toBuffer();
  const files = () => fs.readdirSync(tmp).sort();

  it('makes the folder, writes kept frames as named JPEGs, stores JPEGs as they came and encodes others', async () => {
    const folder = path.join(tmp, 'new', 'frames');
    const c = new Collector(collectConfigFrom({ folder, count: 3, interval: 0 }, '/'), { owner: 'node-a' });
    collectors.push(c);
    assert.deepEqual(await c.command('start'), { state: 'collecting', kept: 0, seen: 0, count: 3, bytes: 0 });
    const jpeg = await image(0);
    const time = Date.UTC(2026, 11, 2, 10, 15, 0, 250);
    const first = await c.frame(jpeg, { time }, time);
    assert.equal(first.kept.name, 'frame-20261202T101500Z-0001.jpg');
    assert.ok(fs.readFileSync(path.join(folder, first.kept.name)).equals(jpeg), 'the JPEG byte for byte');
    const png = await image(30, 'png');
    const second = await c.frame(png, undefined, time + 1000);
    const stored = fs.readFileSync(path.join(folder, second.kept.name));
    assert.deepEqual([...stored.subarray(0, 3)], [0xff, 0xd8, 0xff], 'a PNG stored as a JPEG');
    assert.equal((await sharp(stored).metadata()).width, 64);
    // A base64 text of an image is an image too.
    const third = await c.frame((await image(48)).toString('base64'), undefined, time + 2000);
    assert.equal(third.event.state, 'done');
    assert.deepEqual(fs.readdirSync(folder).sort(), ['frame-20261202T101500Z-0001.jpg', 'frame-20261202T101501Z-0002.jpg', 'frame-20261202T101502Z-0003.jpg']);
    assert.equal(frameName(Date.UTC(2026, 0, 5, 1, 2, 3), 12345), 'frame-20260105T010203Z-12345.jpg');
  });

  it('skips near-duplicates and frames inside the interval without storing them', async () => {
    const c = collector({ count: 10, interval: 1 });
    await c.command('start');
    const a = await image(0);
    assert.ok((await c.frame(a, undefined, 0)).kept);
    assert.equal((await c.frame(await image(40), undefined, 500)).skipped, 'interval');
    // The same picture encoded again at another quality: a near-duplicate.
    const again = await sharp(a).jpeg({ quality: 60 }).toBuffer();
    assert.equal((await c.frame(again, undefined, 1000)).skipped, 'unchanged');
    assert.ok((await c.frame(await image(40), undefined, 2000)).kept);
    assert.equal(files().length, 2);
  });

  it('refuses what is not an image at once, and a corrupt JPEG when it is looked at', async () => {
    const c = collector();
    assert.throws(() => c.frame('hello', undefined, 0), (err) => err.code === 'notImage' && /but received string "hello"/.test(err.message));
    assert.throws(() => c.frame({ width: 3 }, undefined, 0), /received object \{width\}/);
    assert.throws(() => c.frame(Buffer.alloc(100), undefined, 0), /received Buffer of 100 bytes/);
    await c.command('start');
    const jpeg = await image(0);
    await assert.rejects(c.frame(jpeg.subarray(0, 200), undefined, 0), (err) => err.code === 'corruptImage');
    assert.ok((await c.frame(jpeg, undefined, 1)).kept, 'and goes on');
  });

  it('keeping on sampling, the folder never holds more than N files: a replaced frame\'s file is deleted', async () => {
    const c = collector({ count: 3, minChange: 0, whenFull: 'keep-sampling' }, { random: seeded(3) });
    await c.command('start');
    let replacements = 0;
    for (let i = 0; i < 12; i++) {
      const outcome = await c.frame(await image(i * 4), undefined, i);
      if (outcome.replaced) {
        replacements++;
        assert.ok(!files().includes(outcome.replaced.name));
      }
      assert.ok(files().length <= 3, `${files().length} files after frame ${i}`);
    }
    assert.ok(replacements > 0);
    assert.deepEqual(files(), c.sampler.kept.map((f) => f.name).sort());
    assert.equal(c.sampler.bytes, files().reduce((sum, f) => sum + fs.statSync(path.join(tmp, f)).size, 0));
  });

  it('a restart goes on from the frames in the folder; lowered settings trim it at random; reset deletes only its frames', async () => {
    fs.writeFileSync(path.join(tmp, 'notes.txt'), 'mine');
    fs.writeFileSync(path.join(tmp, '.frame-20260101T000000Z-0009.jpg.tmp'), 'half');
    const first = collector({ count: 4 });
    await first.command('start');
    for (let i = 0; i < 3; i++) await first.frame(await image(i * 20), undefined, i * 1000);
    await first.close();
    assert.ok(!files().some((f) => f.endsWith('.tmp')), 'an interrupted write is cleared away');

    const second = collector({ count: 4 }, { owner: 'node-a' });
    assert.deepEqual(await second.command('start'), { state: 'collecting', kept: 3, seen: 3, count: 4, bytes: second.sampler.bytes });
    const outcome = await second.frame(await image(50), undefined, 10_000);
    assert.equal(outcome.kept.index, 4, 'numbered on');
    assert.equal(outcome.event.state, 'done');
    assert.equal(files().filter((f) => f.startsWith('frame-')).length, 4);
    await second.close();

    const smaller = collector({ count: 2 });
    assert.equal((await smaller.command('start')).state, 'done');
    assert.equal(files().filter((f) => f.startsWith('frame-')).length, 2, 'trimmed to the new count');
    assert.deepEqual(await smaller.command('reset'), { state: 'idle', kept: 0, seen: 0, count: 2, bytes: 0 });
    assert.deepEqual(files(), ['notes.txt']);
  });

  it('one folder, one collector; a folder that is a file is a clear error', async () => {
    collector();
    assert.throws(() => collector({}, { owner: 'node-b' }), (err) => err.code === 'collectFolderInUse' && err.message.includes('node-a'));
    // The same folder through a symlink, or through a linked parent before it exists: one claim (second pass, defect 9).
    const link = path.join(os.tmpdir(), `edge-ai-collect-link-${process.pid}`);
    fs.rmSync(link, { force: true });
    fs.symlinkSync(tmp, link);
    try {
      assert.throws(() => collector({ folder: link }, { owner: 'node-b' }), (err) => err.code === 'collectFolderInUse');
      collector({ folder: path.join(tmp, 'not-yet', 'frames') }, { owner: 'node-d' });
      assert.throws(() => collector({ folder: path.join(link, 'not-yet', 'frames') }, { owner: 'node-e' }), (err) => err.code === 'collectFolderInUse' && err.message.includes('node-d'));
    } finally {
      fs.rmSync(link, { force: true });
    }
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, '');
    const c = new Collector(collectConfigFrom({ folder: file }, '/'), { owner: 'node-c' });
    collectors.push(c);
    await assert.rejects(c.command('start'), (err) => err.code === 'collectFolder' && err.message.startsWith(`Could not use ${file} as the folder`));
  });

  it('passes frames over while too many wait to be stored', async () => {
    const c = collector({ count: 50, minChange: 0 });
    await c.command('start');
    const frames = await Promise.all([0, 8, 16, 24, 32, 40].map((x) => image(x)));
    const outcomes = await Promise.all(frames.map((f, i) => c.frame(f, undefined, i)));
    assert.deepEqual(outcomes.map((o) => (o.kept ? 'kept' : o.skipped)), ['kept', 'kept', 'kept', 'busy', 'busy', 'busy']);
  });
});
