// Runs flows in node-red's runtime (through node-red-node-test-helper) for the scripts that
// measure or watch the pipeline (bench, track-video), without the helper's test spies.
'use strict';
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { removeSpies } = require('../test/helpers/unspy');

const root = path.resolve(__dirname, '..');
helper.init(require.resolve('node-red'));

/** Our node modules by short name (camera, preprocess, ...), from dist/. */
const ourNodes = (names) => names.map((n) => require(path.join(root, 'dist', `edge-ai-${n}.js`)));

/** Load a flow without the helper's sinon spies (which would keep every message). */
async function loadFlow(nodeFiles, flow) {
  await helper.load(nodeFiles, flow);
  removeSpies(helper, flow);
}

module.exports = { helper, loadFlow, ourNodes, root };
