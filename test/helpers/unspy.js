'use strict';
// node-red-node-test-helper wraps Node's send/status/log/... in sinon spies that keep every
// call's arguments: every message (and its frame and tensor) stays in memory. Runs that are
// long or measure memory take the spies off after loading.

/**
 * Restore the helper's spied Node methods, and the own copies Node-RED has already made of
 * them on each node of `flow`.
 */
function removeSpies(helper, flow) {
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

module.exports = { removeSpies };
