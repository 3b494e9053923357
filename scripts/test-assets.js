#!/usr/bin/env node
'use strict';
// `node scripts/test-assets.js`: provisions the models, photos and videos the tests read
// (test/helpers/assets/table.js) into EDGE_AI_TEST_ASSETS (default ~/.cache/edge-ai/test-assets)
// and says in one line each what is missing and how to get it. npm test runs it first (through
// test/helpers/environment.js); --list prints every asset and its origin.
const { ASSETS, assetsDir } = require('../test/helpers/assets/where');
const { provision } = require('../test/helpers/assets/provision');

function origin(from) {
  if (from.debian) return `Debian ${from.debian}: ${from.file}`;
  if (from.npm) return `npm ${from.npm}: ${from.file}`;
  if (from.ffmpeg) return `ffmpeg ${from.ffmpeg.join(' ')}`;
  if (from.fixture) return 'test/fixtures';
  if (from.derive) return `made by the engine (${from.derive}) from ${from.input}`;
  return `none: ${from.none}`;
}

async function main() {
  if (process.argv.includes('--list')) {
    for (const asset of ASSETS) console.log(`${asset.path}\t${origin(asset.from)}`);
    return;
  }
  const dir = assetsDir();
  const started = Date.now();
  const status = await provision(dir, { log: (line) => console.error(`[test assets] ${line}`) });
  const had = ASSETS.length - status.missing.length;
  console.error(`[test assets] ${had} of ${ASSETS.length} in ${dir} (../shared/assets: ${status.shared}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (status.unpinned.length) {
    console.error(`[test assets] made here with other bytes than the pin (an ffmpeg other than Debian bookworm's, or another version of the engine), used as made: ${status.unpinned.join(', ')}`);
  }
  if (status.missing.length) {
    console.error(`[test assets] missing ${status.missing.length}, the tests that read them are skipped: ${status.missing.map((m) => `${m.path} (${m.reason}; ${m.how})`).join('; ')}`);
  }
  if (status.programs.length) {
    console.error(`[test assets] programs missing, the tests that start them are skipped: ${status.programs.map((p) => p.program).join(', ')} (apt-get install ${[...new Set(status.programs.map((p) => p.package))].join(' ')})`);
  }
}

main().catch((err) => {
  console.error(`[test assets] ${err.stack || err}`);
  process.exit(1);
});
