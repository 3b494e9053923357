// Runs flows in node-red's runtime (through node-red-node-test-helper) for the scripts that
// measure or watch the pipeline (bench, track-video), without the helper's test spies.
'use strict';
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const root = path.resolve(__dirname, '..');
helper.init(require.resolve('node-red'));

/** Our node modules by short name (camera, preprocess, ...), from dist/. */
const ourNodes = (names) => names.map((n) => require(path.join(root, 'dist', `edge-ai-${n}.js`)));

/**
 * Load a flow without the helper's sinon spies. The helper wraps Node's send/status/log/... in
 * spies that keep every call's arguments, so every message (and its tensor) would stay in
 * memory and cost time to record; Node-RED has already copied the wrapped `send` onto each
 * node, so those own properties are put back too.
 */
async function loadFlow(nodeFiles, flow) {
  await helper.load(nodeFiles, flow);
  const prototype = helper._NodePrototype;
  const spied = Object.fromEntries(Object.getOwnPropertyNames(prototype).map((name) => [name, prototype[name]]));
  helper._sandbox.restore();
  for (const { id } of flow) {
    const node = helper.getNode(id);
    if (!node) continue;
    for (const name of Object.keys(node)) {
      if (spied[name] !== undefined && node[name] === spied[name]) node[name] = prototype[name];
    }
  }
}

module.exports = { helper, loadFlow, ourNodes, root };
