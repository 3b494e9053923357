'use strict';
// Running flows in a real Node-RED runtime through node-red-node-test-helper.
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { dist, models, assets } = require('./paths');
const { removeSpies } = require('./unspy');

helper.init(require.resolve('node-red'));

process.env.EDGE_AI_MODELS = models;
// Catalogue models of the examples are fetched once per test run into a temporary cache.
const os = require('node:os');
const fs = require('node:fs');
process.env.EDGE_AI_MODEL_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-test-cache-'));
process.on('exit', () => fs.rmSync(process.env.EDGE_AI_MODEL_CACHE, { recursive: true, force: true }));
process.env.EDGE_AI_MEDIA = path.join(assets, 'media');

const coreNodes = path.dirname(require.resolve('@node-red/nodes/package.json'));
const ourNodes = ['camera', 'preprocess', 'model', 'infer', 'trigger', 'annotate', 'collect', 'model-update'].map((n) => require(path.join(dist, `edge-ai-${n}.js`)));
// The core nodes the examples use (catch, status and complete come from the helper).
const extraNodes = [
  'common/20-inject.js', 'common/90-comment.js', 'function/15-change.js', 'function/10-switch.js', 'function/89-trigger.js', 'function/89-delay.js', 'function/rbe.js',
  'network/10-mqtt.js', 'network/21-httpin.js', 'network/21-httprequest.js',
].map((f) => require(path.join(coreNodes, 'core', f)));

const CONFIG_TYPES = new Set(['edge-ai-model', 'mqtt-broker']);

// The helper's runtime keeps http in routes on an app of their own that its server does not
// serve; this module catches that app so a test can mount it (serveHttpNodes).
let httpNodeApp;
const catchHttpNodeApp = (RED) => { httpNodeApp = RED.httpNode; };

/** After helper.startServer() and load(): make the flow's http in routes reachable at helper.url(). */
function serveHttpNodes() {
  helper._app.use(httpNodeApp);
}

/** Load a flow with our nodes and the core nodes above. */
function load(flow, credentials) {
  // Config nodes stay global; all others go on one tab.
  const onTab = flow.map((n) => (CONFIG_TYPES.has(n.type) || n.type === 'tab' || n.z ? n : { z: 'tab', ...n }));
  const tabs = onTab.some((n) => n.type === 'tab') ? [] : [{ id: 'tab', type: 'tab', label: 'test' }];
  return helper.load([...ourNodes, ...extraNodes, catchHttpNodeApp], [...tabs, ...onTab], credentials);
}

/** Load a flow for a long run: without the helper's spies, which keep every message. */
async function loadUnspied(flow, credentials) {
  await load(flow, credentials);
  removeSpies(helper, flow);
}

/** Resolve with the next `count` msgs arriving at a node; reject after `timeoutMs`. */
function collect(nodeId, count = 1, timeoutMs = 30000) {
  const node = helper.getNode(nodeId);
  if (!node) throw new Error(`no node ${nodeId} in the flow`);
  return new Promise((resolve, reject) => {
    const got = [];
    const timer = setTimeout(() => {
      node.removeListener('input', onInput);
      reject(new Error(`node ${nodeId} got ${got.length} of ${count} msgs in ${timeoutMs} ms`));
    }, timeoutMs);
    function onInput(msg) {
      got.push(msg);
      if (got.length === count) {
        clearTimeout(timer);
        node.removeListener('input', onInput);
        resolve(got);
      }
    }
    node.on('input', onInput);
  });
}

/** Resolve when a node's status matches `predicate`. */
function statusOf(nodeId, predicate, timeoutMs = 30000) {
  const node = helper.getNode(nodeId);
  return new Promise((resolve, reject) => {
    const original = node.status.bind(node);
    const timer = setTimeout(() => reject(new Error(`status of ${nodeId} never matched`)), timeoutMs);
    node.status = (s) => {
      original(s);
      if (predicate(s)) {
        clearTimeout(timer);
        node.status = original;
        resolve(s);
      }
    };
  });
}

const { delay } = require('./wait');

module.exports = { helper, load, loadUnspied, collect, statusOf, delay, serveHttpNodes };
