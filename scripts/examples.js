#!/usr/bin/env node
// The example flows, regenerated from the node definitions: every edge-ai node in
// examples/*.json gets each setting its type defines (the default where the example does not
// set it), in the order the dialog defines them, and loses settings no longer defined. Then
// an example opens in any Node-RED with no empty fields and no warnings at deploy.
//   node scripts/examples.js          rewrite examples/*.json
//   node scripts/examples.js --check  only say which examples are out of date (exit code 1)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { nodeDefaults } = require('./node-definitions');

const root = path.resolve(__dirname, '..');
const examplesDir = path.join(root, 'examples');
/** Keys every node has besides its settings, where Node-RED puts them. */
const HEAD = ['id', 'type', 'z', 'g'];
const TAIL = ['x', 'y', 'wires'];

function exampleFiles() {
  return fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort();
}

/** One node with exactly its type's settings; nodes of other packages are left as they are. */
function completeNode(node, defaults) {
  const own = defaults[node.type];
  if (!own) return node;
  const out = {};
  for (const key of HEAD) if (key in node) out[key] = node[key];
  for (const [key, value] of Object.entries(own)) out[key] = key in node ? node[key] : value;
  for (const key of TAIL) if (key in node) out[key] = node[key];
  return out;
}

/** Every example as it should be: {file, text} with the text to write. */
function generatedExamples(defaults = nodeDefaults(root)) {
  return exampleFiles().map((file) => {
    const nodes = JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8'));
    return { file, text: `${JSON.stringify(nodes.map((n) => completeNode(n, defaults)), null, 4)}\n` };
  });
}

module.exports = { completeNode, generatedExamples, exampleFiles, examplesDir };

if (require.main === module) {
  const stale = [];
  for (const { file, text } of generatedExamples()) {
    const target = path.join(examplesDir, file);
    if (fs.readFileSync(target, 'utf8') === text) continue;
    stale.push(file);
    if (!process.argv.includes('--check')) fs.writeFileSync(target, text);
  }
  if (process.argv.includes('--check') && stale.length) {
    console.error(`Out of date (run node scripts/examples.js): ${stale.join(', ')}`);
    process.exit(1);
  }
  console.log(stale.length ? `${process.argv.includes('--check') ? 'stale' : 'rewrote'}: ${stale.join(', ')}` : 'examples up to date');
}
