'use strict';
// Status lines: the part that says what to fix first, long paths shortened in the middle, and
// the infer node's count of what it found.
const assert = require('node:assert/strict');

const { fitStatus, statusParams, STATUS_MAX_LENGTH } = require('../../dist/lib/status-text');
const { STATUS_TEXTS, ERROR_TEXTS, formatText } = require('../../dist/lib/errors');
const { countLabels, shortLabel } = require('../../dist/lib/decode');

describe('status lines', () => {
  it('keep a short text as it is, and shorten a long path in its middle so the file name stays', () => {
    assert.equal(fitStatus('model not found: yolo.onnx in /models'), 'model not found: yolo.onnx in /models');
    const long = formatText(STATUS_TEXTS.fileNotFound, statusParams({ path: '/home/pi/some/very/deep/folder/of/many/levels/holiday-photos-2026/IMG_0042.jpg' }));
    const fitted = fitStatus(long);
    assert.ok(fitted.length <= STATUS_MAX_LENGTH, fitted);
    assert.match(fitted, /^not found: IMG_0042\.jpg in \/home\/pi.*…/);
    assert.match(fitted, /photos-2026$/);
  });

  it('cut a long text without a path at its end', () => {
    const fitted = fitStatus('x'.repeat(100));
    assert.equal(fitted.length, STATUS_MAX_LENGTH);
    assert.ok(fitted.endsWith('…'));
  });

  it('put the variable to set first when a path uses one that is not set', () => {
    const text = formatText(STATUS_TEXTS.envVarUnset, statusParams({ path: '${EDGE_AI_MEDIA}/images', name: 'EDGE_AI_MEDIA' }));
    assert.equal(text, '${EDGE_AI_MEDIA} is not set (${EDGE_AI_MEDIA}/images)');
  });

  it('have a status form only for errors that exist, with no placeholder the error lacks', () => {
    for (const [code, template] of Object.entries(STATUS_TEXTS)) {
      assert.ok(code in ERROR_TEXTS, code);
      const own = new Set([...ERROR_TEXTS[code].matchAll(/__(\w+)__/g)].map((m) => m[1]));
      if (own.has('path')) ['file', 'dir'].forEach((p) => own.add(p));
      for (const [, name] of template.matchAll(/__(\w+)__/g)) assert.ok(own.has(name), `${code}: __${name}__`);
    }
  });

  it('count what was found by label, most frequent first, at most two and how many more', () => {
    const found = ['person', 'dog', 'person', 'car', 'person', 'dog', 'bus'].map((label) => ({ label }));
    assert.deepEqual(countLabels(found), { counts: [{ label: 'person', count: 3 }, { label: 'dog', count: 2 }], more: 2 });
    assert.deepEqual(countLabels([]), { counts: [], more: 0 });
    assert.equal(shortLabel('fox squirrel, eastern fox squirrel, Sciurus niger'), 'fox squirrel');
    assert.equal(shortLabel('stop sign'), 'stop sign');
  });
});
