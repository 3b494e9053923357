'use strict';
// Loaded before every test file (.mocharc.json "require"):
// - the test run keeps what it caches (TFLite imports) in a folder of its own, removed at the
//   end, never in the user's ~/.cache;
// - the test assets are provisioned (scripts/test-assets.js) unless the last provisioning was
//   for this very table, and the test files that name a missing asset or start a missing program
//   (in their source or their helpers') are skipped whole, named in the reporter's closing lines.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ensureProvisioned, root } = require('./assets/where');
const { PROGRAMS } = require('./assets/provision');
const { skipped } = require('./skipped');

if (!process.env.EDGE_AI_CACHE_DIR) {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-test-cache-'));
  process.env.EDGE_AI_CACHE_DIR = cache;
  process.on('exit', () => fs.rmSync(cache, { recursive: true, force: true }));
}

const status = ensureProvisioned();

/** The source of a test file and of the test helpers it requires, where asset names are written. */
function sourcesOf(file, seen = new Set()) {
  if (seen.has(file)) return '';
  seen.add(file);
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
  const helpers = [...text.matchAll(/require\('(\.{1,2}\/[^']*helpers[^']*|\.\/[\w-]+)'\)/g)]
    .map((m) => require.resolve(path.resolve(path.dirname(file), m[1])))
    .filter((f) => f.startsWith(path.join(root, 'test', 'helpers')) && !f.includes(`${path.sep}assets${path.sep}`));
  return text + helpers.map((f) => sourcesOf(f, seen)).join('\n');
}

/** Why a test file cannot run here: the missing assets it names, the missing programs it starts. */
function lacking(file) {
  const text = sourcesOf(file);
  const assets = status.missing.filter((m) => text.includes(path.basename(m.path))).map((m) => m.path);
  const missingPrograms = new Set(status.programs.map((p) => p.program));
  const programs = PROGRAMS.filter((p) => missingPrograms.has(p.program) && p.startedBy?.test(text)).map((p) => p.program);
  return [...assets, ...programs];
}

/** Mark a suite and everything in it skipped, its hooks dropped so that none of them runs. */
function skipSuite(suite) {
  suite.pending = true;
  suite._beforeAll = [];
  suite._beforeEach = [];
  suite._afterAll = [];
  suite._afterEach = [];
  suite.suites.forEach(skipSuite);
  return suite.total();
}

exports.mochaHooks = {
  beforeAll() {
    if (!status.missing.length && !status.programs.length) return;
    const rootSuite = this.test.parent;
    for (const suite of rootSuite.suites) {
      const reasons = suite.file ? lacking(suite.file) : [];
      if (reasons.length) skipped.push({ file: path.relative(root, suite.file), tests: skipSuite(suite), reasons });
    }
  },
};
