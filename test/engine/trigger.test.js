'use strict';
const assert = require('node:assert/strict');
const { TriggerRule } = require('../../dist/lib/trigger');

const person = (score = 0.9) => ({ label: 'person', score });
const dog = (score = 0.9) => ({ label: 'dog', score });

function rule(over = {}) {
  return new TriggerRule({ labels: ['person'], minScore: 0.5, minCount: 1, maxCount: Infinity, framesNeeded: 1, framesWindow: 1, holdMs: 1000, cooldownMs: 0, ...over });
}

describe('trigger rule', () => {
  it('starts on the first matching frame and ends after the hold time of false frames', () => {
    const r = rule();
    assert.equal(r.update([dog()], 0), undefined, 'other labels do not count');
    assert.equal(r.update([person(0.4)], 100), undefined, 'low scores do not count');
    const start = r.update([person(0.8), person(0.6), dog()], 200);
    assert.deepEqual(start, { type: 'start', labels: ['person'], count: 2, maxScore: 0.8, time: 200 });
    assert.equal(r.update([], 300), undefined);
    assert.equal(r.update([person(0.95)], 400), undefined, 'true again resets the hold');
    assert.equal(r.update([], 500), undefined);
    assert.equal(r.update([], 1499), undefined);
    const end = r.update([], 1500);
    assert.deepEqual(end, { type: 'end', labels: ['person'], count: 0, maxScore: 0.95, time: 1500, duration: 1300 });
    assert.equal(r.active, false);
  });

  it('needs the minimum count', () => {
    const r = rule({ minCount: 3 });
    assert.equal(r.update([person(), person()], 0), undefined);
    assert.equal(r.update([person(), person(), person()], 10).type, 'start');
  });

  it('any label when the list is empty', () => {
    const r = rule({ labels: [] });
    assert.deepEqual(r.update([dog(0.7)], 0).labels, ['dog']);
  });

  it('suppresses starts inside the cooldown and allows them after it', () => {
    const r = rule({ holdMs: 0, cooldownMs: 5000 });
    assert.equal(r.update([person()], 0).type, 'start');
    assert.equal(r.update([], 100).type, 'end');
    assert.equal(r.update([person()], 200), undefined, 'inside cooldown');
    assert.equal(r.suppressed, 1);
    assert.equal(r.update([person()], 4999), undefined);
    assert.equal(r.update([person()], 5000).type, 'start');
  });

  it('ends from the timer when frames stop after the rule went false', () => {
    const r = rule();
    r.update([person()], 0);
    assert.equal(r.nextDeadline(), undefined, 'nothing pending while true');
    assert.equal(r.tick(5000), undefined, 'no end while the last frame matched');
    r.update([], 100);
    assert.equal(r.nextDeadline(), 1100);
    assert.equal(r.tick(1099), undefined);
    assert.equal(r.tick(1100).type, 'end');
    assert.equal(r.tick(3000), undefined, 'only once');
  });
});
