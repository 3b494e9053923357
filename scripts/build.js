#!/usr/bin/env node
// Build: tsc into dist/, then copy what Node-RED loads from beside each node's .js
// (editor .html, icons/, locales/). The en-US error and model-doctor texts come from the
// engine's tables so the English wording lives in one place.
//   --release   no source maps (the TypeScript sources they point to are not in the package)
//   --prepare   as npm's `prepare` runs it: on `npm install` in a clone, on installs from a git
//               URL, and on `npm pack` / `npm publish` (then as --release). Without TypeScript
//               (a folder linked by `npm install <folder>` has no dev dependencies) an existing
//               dist/ is kept, and a missing one is a clear error
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const prepare = process.argv.includes('--prepare');
const release = process.argv.includes('--release') || (prepare && ['pack', 'publish'].includes(process.env.npm_command));

function typescript() {
  try {
    return require.resolve('typescript/bin/tsc', { paths: [root] });
  } catch {
    return undefined;
  }
}

const tsc = typescript();
if (!tsc && prepare) {
  if (fs.existsSync(path.join(dist, 'edge-ai-model.js'))) process.exit(0);
  console.error(`@edgeflow/node-red-edge-ai: ${dist} is missing and TypeScript is not installed here to build it.\n` +
    `Run "npm install" in ${root} first (it builds dist/), or install a packed tarball made there with "npm pack".`);
  process.exit(1);
}
if (!tsc) throw new Error('TypeScript is not installed: run "npm install" first');

fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', root, ...(release ? ['--sourceMap', 'false', '--declaration', 'false'] : [])], { stdio: 'inherit' });

for (const file of fs.readdirSync(path.join(root, 'nodes'))) {
  if (file.endsWith('.html')) fs.copyFileSync(path.join(root, 'nodes', file), path.join(dist, file));
}
fs.cpSync(path.join(root, 'icons'), path.join(dist, 'icons'), { recursive: true });
fs.cpSync(path.join(root, 'locales'), path.join(dist, 'locales'), { recursive: true });

const { ERROR_TEXTS, STATUS_TEXTS } = require(path.join(dist, 'lib', 'errors'));
const { DOCTOR_TEXTS } = require(path.join(dist, 'lib', 'model'));
const catalogFile = path.join(dist, 'locales', 'en-US', 'edge-ai-model.json');
const catalog = JSON.parse(fs.readFileSync(catalogFile, 'utf8'));
catalog['edge-ai-model'].engine = ERROR_TEXTS;
catalog['edge-ai-model'].engineStatus = STATUS_TEXTS;
catalog['edge-ai-model'].doctor = DOCTOR_TEXTS;
fs.writeFileSync(catalogFile, JSON.stringify(catalog, null, 2));
