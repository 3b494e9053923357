#!/usr/bin/env node
// Build: tsc into dist/, then copy what Node-RED loads from beside each node's .js
// (editor .html, icons/, locales/). The en-US error and model-doctor texts come from the
// engine's tables so the English wording lives in one place.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');

fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });

for (const file of fs.readdirSync(path.join(root, 'nodes'))) {
  if (file.endsWith('.html')) fs.copyFileSync(path.join(root, 'nodes', file), path.join(dist, file));
}
fs.cpSync(path.join(root, 'icons'), path.join(dist, 'icons'), { recursive: true });
fs.cpSync(path.join(root, 'locales'), path.join(dist, 'locales'), { recursive: true });

const { ERROR_TEXTS } = require(path.join(dist, 'lib', 'errors.js'));
const { DOCTOR_TEXTS } = require(path.join(dist, 'lib', 'model', 'doctor.js'));
const catalogFile = path.join(dist, 'locales', 'en-US', 'edge-ai-model.json');
const catalog = JSON.parse(fs.readFileSync(catalogFile, 'utf8'));
catalog['edge-ai-model'].engine = ERROR_TEXTS;
catalog['edge-ai-model'].doctor = DOCTOR_TEXTS;
fs.writeFileSync(catalogFile, JSON.stringify(catalog, null, 2));
