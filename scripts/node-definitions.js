// The node definitions the editor registers (RED.nodes.registerType in nodes/*.html), read by
// running the dialogs' scripts in a sandbox with a stand-in RED and jQuery. The examples are
// generated from their defaults, and a test holds the shipped examples to them.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const root = path.resolve(__dirname, '..');

/** Anything called, read or constructed on it gives itself back: enough for DOM code at load. */
function inert() {
  const target = function () {};
  const proxy = new Proxy(target, {
    get: (_t, key) => (key === Symbol.toPrimitive ? () => '' : proxy),
    apply: () => proxy,
    construct: () => proxy,
  });
  return proxy;
}

/** Every type registered by nodes/*.html: {type: definition}, in file name order. */
function nodeDefinitions(dir = root) {
  const definitions = {};
  const $ = new Proxy(inert(), {
    get: (target, key) => (key === 'extend' ? (...objects) => Object.assign(...objects.filter((o) => typeof o === 'object')) : target[key]),
  });
  const RED = new Proxy({
    _: (key) => key,
    nodes: new Proxy({ registerType: (type, definition) => { definitions[type] = definition; } }, {
      get: (target, key) => target[key] ?? inert(),
    }),
  }, { get: (target, key) => target[key] ?? inert() });
  const context = vm.createContext({ RED, $, jQuery: $, document: inert(), console });
  context.window = context;
  for (const shared of ['edge-ai-editor.js', 'edge-ai-zones.js']) {
    vm.runInContext(fs.readFileSync(path.join(dir, 'resources', shared), 'utf8'), context, { filename: shared });
  }
  const scripts = /<script type="text\/javascript">([\s\S]*?)<\/script>/g;
  for (const file of fs.readdirSync(path.join(dir, 'nodes')).filter((f) => f.endsWith('.html')).sort()) {
    const html = fs.readFileSync(path.join(dir, 'nodes', file), 'utf8');
    for (const [, code] of html.matchAll(scripts)) vm.runInContext(code, context, { filename: file });
  }
  return definitions;
}

/** Each setting's default value, by type: {type: {property: value}}. */
function nodeDefaults(dir = root) {
  const defaults = {};
  for (const [type, definition] of Object.entries(nodeDefinitions(dir))) {
    defaults[type] = Object.fromEntries(Object.entries(definition.defaults).map(([prop, spec]) => [prop, JSON.parse(JSON.stringify(spec.value ?? ''))]));
  }
  return defaults;
}

module.exports = { nodeDefinitions, nodeDefaults };

if (require.main === module) console.log(JSON.stringify(nodeDefaults(), null, 1));
