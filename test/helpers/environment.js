'use strict';
// Loaded before every test file (.mocharc.json "require"): the test run keeps what it caches
// (TFLite imports) in a folder of its own, removed at the end, never in the user's ~/.cache.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

if (!process.env.EDGE_AI_CACHE_DIR) {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-test-cache-'));
  process.env.EDGE_AI_CACHE_DIR = cache;
  process.on('exit', () => fs.rmSync(cache, { recursive: true, force: true }));
}
