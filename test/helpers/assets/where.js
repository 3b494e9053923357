'use strict';
// Where the test assets live and what the last provisioning found, read synchronously so that
// test files and the bench can name paths at load time. Written by scripts/test-assets.js.
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ASSETS } = require('./table');

const root = path.resolve(__dirname, '..', '..', '..');
/** The team's own copy beside the project, used when present (EDGE_AI_SHARED_ASSETS). */
const SHARED = path.resolve(root, '..', 'shared', 'assets');
const FIXTURES = path.join(root, 'test', 'fixtures');
const STATUS_FILE = 'provisioned.json';

/** The folder the tests read assets from: EDGE_AI_TEST_ASSETS, or a cache folder of the user's. */
function assetsDir(env = process.env) {
  if (env.EDGE_AI_TEST_ASSETS) return path.resolve(env.EDGE_AI_TEST_ASSETS);
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'edge-ai', 'test-assets');
}

/**
 * How ../shared/assets is used (EDGE_AI_SHARED_ASSETS): `first` (the default: copied from there
 * when present, else fetched), `last` (every asset with a public origin fetched from it, the
 * shared copy only for those without one: what CI runs) or `never` (as on a stranger's machine).
 */
function sharedUse(env = process.env) {
  const use = env.EDGE_AI_SHARED_ASSETS || 'first';
  if (!['first', 'last', 'never'].includes(use)) {
    throw new Error(`EDGE_AI_SHARED_ASSETS must be first, last or never, not "${use}"`);
  }
  return use;
}

/** A fingerprint of the table and the settings: provisioning is redone when it changes. */
function tableHash(env = process.env) {
  return crypto.createHash('sha256').update(JSON.stringify([ASSETS, sharedUse(env)])).digest('hex').slice(0, 16);
}

/** The last provisioning's report, or undefined when there was none for this table. */
function readStatus(dir = assetsDir(), env = process.env) {
  try {
    const status = JSON.parse(fs.readFileSync(path.join(dir, STATUS_FILE), 'utf8'));
    return status.table === tableHash(env) ? status : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The provisioning report for this table, provisioning first (scripts/test-assets.js, its lines
 * on stderr) when there is none; a report of everything missing when that failed.
 */
function ensureProvisioned() {
  const status = readStatus();
  if (status) return status;
  spawnSync(process.execPath, [path.join(root, 'scripts', 'test-assets.js')], { stdio: ['ignore', 'inherit', 'inherit'] });
  return readStatus() ?? {
    missing: ASSETS.map((a) => ({ path: a.path, reason: `provisioning into ${assetsDir()} failed`, how: 'node scripts/test-assets.js' })),
    programs: [],
  };
}

module.exports = { ASSETS, FIXTURES, SHARED, STATUS_FILE, assetsDir, ensureProvisioned, readStatus, root, sharedUse, tableHash };
