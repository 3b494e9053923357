'use strict';
// The test suite's own provisioning as a stranger's machine meets it: a test file that names an
// asset the provisioning could not get, or starts a program the machine lacks, is skipped whole
// (its hooks too), named in the closing lines with what it needs; the others run.
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root } = require('../helpers/paths');
const { ASSETS, STATUS_FILE, tableHash } = require('../helpers/assets/where');

/** Run mocha as npm test does on `files`, with a provisioning report that says `missing` and `programs`. */
function runWith({ missing = [], programs = [] }, files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-assets-'));
  const env = { ...process.env, EDGE_AI_TEST_ASSETS: dir };
  fs.writeFileSync(path.join(dir, STATUS_FILE), JSON.stringify({
    table: tableHash(env), missing: missing.map((p) => ({ path: p, reason: 'offline', how: 'reach Debian' })), unpinned: [], programs,
  }));
  const tests = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-tests-'));
  const paths = Object.entries(files).map(([name, text]) => {
    fs.writeFileSync(path.join(tests, name), text);
    return path.join(tests, name);
  });
  const mocha = require.resolve('mocha/bin/mocha.js');
  const run = spawnSync(process.execPath, [mocha, '--no-config', '--require', path.join(root, 'test', 'helpers', 'environment.js'),
    '--reporter', path.join(root, 'test', 'helpers', 'reporter.js'), ...paths], { env, encoding: 'utf8', timeout: 60000 });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(tests, { recursive: true, force: true });
  return run;
}

// A file that would fail if its hook or tests ran, naming a photo, and one that names nothing.
const NEEDS_PHOTO = `
describe('reads a photo', () => {
  before(() => { throw new Error('this hook must not run'); });
  it('one', () => { throw new Error('must not run'); });
  it('two', () => { require('node:fs').readFileSync('orange.jpg'); });
});`;
const NEEDS_FFMPEG = `
describe('starts ffmpeg', () => {
  it('three', () => { require('node:child_process').execFileSync('ffmpeg', ['-version']); });
});`;
const PLAIN = `
describe('plain', () => {
  it('runs', () => {});
});`;

describe('test assets: what a clone without them does', function () {
  this.timeout(90000);

  it('the table pins every asset by SHA-256 and size, with one origin each', () => {
    for (const asset of ASSETS) {
      assert.match(asset.sha256, /^[0-9a-f]{64}$/, asset.path);
      assert.ok(asset.size > 0, asset.path);
      const origins = ['debian', 'npm', 'ffmpeg', 'derive', 'fixture', 'none'].filter((k) => asset.from[k] !== undefined);
      assert.equal(origins.length, 1, `${asset.path}: ${origins}`);
      if (asset.from.fixture) assert.ok(fs.existsSync(path.join(root, 'test', 'fixtures', asset.path)), `${asset.path} is committed`);
    }
    const committed = ASSETS.filter((a) => a.from.fixture).reduce((sum, a) => sum + a.size, 0);
    assert.ok(committed <= 40e6, `test/fixtures holds ${(committed / 1e6).toFixed(1)} MB, at most 40`);
  });

  it('skips a file that names a missing asset, hooks and all, names it, and runs the rest', () => {
    const run = runWith({ missing: ['media/images/orange.jpg'] }, { 'a.test.js': NEEDS_PHOTO, 'b.test.js': PLAIN });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^1 tests ran; 2 skipped for missing assets or programs: .*a\.test\.js \(2, needs media\/images\/orange\.jpg\); node scripts\/test-assets\.js says how to get them$/m);
    assert.match(run.stdout, /^1 passed, 0 failed, 2 skipped$/m);
  });

  it('skips a file that starts a missing program, and says none were skipped when nothing is missing', () => {
    const lacking = runWith({ programs: [{ program: 'ffmpeg', package: 'ffmpeg' }] }, { 'c.test.js': NEEDS_FFMPEG, 'd.test.js': PLAIN });
    assert.match(lacking.stdout, /c\.test\.js \(1, needs ffmpeg\)/);
    assert.match(lacking.stdout, /^1 passed, 0 failed, 1 skipped$/m);
    const whole = runWith({}, { 'd.test.js': PLAIN });
    assert.match(whole.stdout, /^1 tests ran; 0 skipped for missing assets or programs$/m);
  });
});
