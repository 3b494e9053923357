'use strict';
// The engine's scheduling pieces on their own: work that must leave in order, the infer node's
// pump in front of its model, and the trigger's runner with its hold timer on a hand-moved clock.
const assert = require('node:assert/strict');
const { OrderedOutput } = require('../../dist/lib/ordered');
const { InferencePump } = require('../../dist/lib/model');
const { TriggerRunner } = require('../../dist/lib/trigger');
const { ManualClock } = require('../helpers/clock');

const settle = () => new Promise((r) => setImmediate(r));
/** A promise and the functions that settle it. */
function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

describe('ordered output', () => {
  it('runs parallel work at once but finishes it in arrival order, failures included', async () => {
    const ordered = new OrderedOutput();
    const work = [deferred(), deferred(), deferred()];
    const started = [];
    const finished = [];
    work.forEach((w, i) => ordered.parallel(() => { started.push(i); return w.promise; }, {
      value: (v) => finished.push(`${i}:${v}`), error: (e) => finished.push(`${i}!${e.message}`),
    }));
    await settle();
    assert.deepEqual(started, [0, 1, 2], 'all started at once');
    work[2].resolve('c');
    work[1].reject(new Error('b'));
    await settle();
    assert.deepEqual(finished, [], 'nothing before the first');
    work[0].resolve('a');
    await ordered.idle();
    assert.deepEqual(finished, ['0:a', '1!b', '2:c']);
  });

  it('runs serial work one at a time', async () => {
    const ordered = new OrderedOutput();
    const work = [deferred(), deferred()];
    const started = [];
    work.forEach((w, i) => ordered.serial(() => { started.push(i); return w.promise; }, { value: () => {}, error: () => {} }));
    await settle();
    assert.deepEqual(started, [0]);
    work[0].resolve();
    await settle();
    assert.deepEqual(started, [0, 1]);
  });
});

describe('inference pump', () => {
  it('runs nothing before start, keeps one run in flight in live mode, and replaces the waiting job', async () => {
    const pump = new InferencePump('live', 1);
    const runs = [];
    assert.equal(pump.push('a'), undefined);
    assert.equal(pump.push('b'), 'a', 'a newer frame replaces the waiting one');
    assert.equal(pump.dropped, 1);
    pump.start((job) => { const d = deferred(); runs.push({ job, done: d.resolve }); return d.promise; });
    assert.deepEqual(runs.map((r) => r.job), ['b']);
    pump.push('c');
    pump.push('d');
    assert.deepEqual(runs.map((r) => r.job), ['b'], 'one in flight');
    runs[0].done();
    await settle();
    assert.deepEqual(runs.map((r) => r.job), ['b', 'd']);
  });

  it('keeps two runs in flight in batch mode, refuses jobs when full, and hands back the waiting ones on close', async () => {
    const pump = new InferencePump('batch', 2);
    const runs = [];
    pump.start((job) => { runs.push(job); return new Promise(() => {}); });
    for (const job of ['a', 'b', 'c', 'd']) pump.push(job);
    assert.deepEqual(runs, ['a', 'b']);
    assert.throws(() => pump.push('e'), (err) => err.code === 'queueFull');
    assert.deepEqual(pump.close(), ['c', 'd']);
    pump.push('f');
    assert.deepEqual(runs, ['a', 'b'], 'nothing runs after close');
  });
});

describe('trigger runner', () => {
  const detection = { label: 'dog', score: 0.9, classId: 16, box: { x: 0, y: 0, w: 10, h: 10 } };

  it('sends the end from its timer when frames stop coming', async () => {
    const clock = new ManualClock();
    const timed = [];
    const runner = new TriggerRunner({ labels: 'dog', hold: 2 }, { msgRules: false, clock, timedEvent: (event) => timed.push(event) });
    const started = runner.update([detection], undefined, clock.now());
    assert.deepEqual(started.events.map((e) => e.type), ['start']);
    runner.update([], undefined, clock.now() + 100);
    await clock.advance(1999);
    assert.deepEqual(timed, []);
    await clock.advance(200);
    assert.deepEqual(timed.map((e) => e.type), ['end']);
    assert.equal(clock.pending, 0);
    runner.close();
  });

  it('changes rules only when allowed and only to a valid set, keeping the running rules otherwise', () => {
    const closed = new TriggerRunner({ labels: 'dog' }, { msgRules: false, timedEvent: () => {} });
    assert.throws(() => closed.changeRules({ labels: 'cat' }), (err) => err.code === 'msgRulesOff');
    const open = new TriggerRunner({ labels: 'dog' }, { msgRules: true, timedEvent: () => {} });
    const before = open.engine;
    assert.throws(() => open.changeRules({ minScore: 7 }), (err) => err.code === 'badSetting');
    assert.equal(open.engine, before, 'the running engine stays');
    open.changeRules({ labels: 'cat' });
    assert.deepEqual(open.engine.config.rule.labels, ['cat']);
  });

  it('without a valid engine, refuses frames with the settings error until rules put it right', () => {
    const runner = new TriggerRunner({ minScore: 7 }, { msgRules: true, timedEvent: () => {} });
    assert.equal(runner.setupError.code, 'badSetting');
    assert.throws(() => runner.update([detection], undefined, 0), (err) => err.code === 'badSetting');
    runner.changeRules({ minScore: 0.5, labels: 'dog' });
    assert.deepEqual(runner.update([detection], undefined, 0).events.map((e) => e.type), ['start']);
  });
});
