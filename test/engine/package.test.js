'use strict';
// The rules of `node-red-dev validate` (the Node-RED flow library's scorecard), checked here
// because that tool looks packages up on catalogue.nodered.org, which this machine cannot reach.
// P: package.json, N: nodes, D: dependencies; and that every language has every text.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { root, dist } = require('../helpers/paths');
const { nodeDefinitions } = require('../../scripts/node-definitions');

const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const nodeRedPkg = require('node-red/package.json');
const coreTypes = new Set(Object.keys(JSON.parse(fs.readFileSync(require.resolve('@node-red/nodes/locales/en-US/messages.json'), 'utf8'))));

/** Every key path of a catalog ("edge-ai-camera.label.source", ...). */
function keyPaths(object, prefix = '') {
  return Object.entries(object).flatMap(([key, value]) => (value && typeof value === 'object' ? keyPaths(value, `${prefix}${key}.`) : [`${prefix}${key}`]));
}

describe('package checks (the node-red-dev validate rules)', () => {
  it('P01-P07: licence, repository, scoped name, keyword, Node-RED and Node versions', () => {
    assert.equal(pkg.license, 'Apache-2.0');
    assert.ok(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8').includes('Apache License'), 'LICENSE file');
    assert.match(pkg.repository?.url ?? '', /^git\+https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/, 'P02 repository');
    assert.ok(pkg.bugs?.url, 'P03 bugs URL');
    assert.match(pkg.name, /^@[\w-]+\/node-red-[\w-]+$/, 'P04 a scoped name');
    assert.ok(pkg.keywords.includes('node-red'), 'P05 keyword node-red');
    assert.match(pkg['node-red'].version, /^>=\s*\d+\.\d+/, 'P06 Node-RED version declared');
    const min = Number(pkg['node-red'].version.match(/\d+/)[0]);
    assert.ok(min <= Number(nodeRedPkg.version.split('.')[0]), `P06 compatible with the Node-RED ${nodeRedPkg.version} used here`);
    // P07: Node-RED 3.1 needs Node 16; we need 18.17 (sharp), which must be declared.
    assert.match(pkg.engines.node, /^>=\s*18/, 'P07 Node version in engines');
    assert.ok(fs.existsSync(path.join(root, 'README.md')));
  });

  it('N01-N02: every node file exists, registers its type with the library\'s fields, no type clashes with a core node, examples cover every node', () => {
    const types = Object.keys(pkg['node-red'].nodes);
    assert.equal(types.length, 8);
    // The registerType calls of the editor files, run in a sandbox the way the editor runs them:
    // what the library reads (category, colour, icon, inputs, outputs, defaults) must be in there.
    const definitions = nodeDefinitions(root);
    const examples = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json'));
    const usedInExamples = new Set(examples.flatMap((f) => JSON.parse(fs.readFileSync(path.join(root, 'examples', f), 'utf8')).map((n) => n.type)));
    for (const type of types) {
      const js = path.join(root, pkg['node-red'].nodes[type]);
      assert.ok(fs.existsSync(js), `${type}: ${js}`);
      assert.ok(!coreTypes.has(type), `${type} clashes with a core node`);
      assert.ok(usedInExamples.has(type), `N02: an example uses ${type}`);
      assert.ok(fs.existsSync(js.replace(/\.js$/, '.html')), `${type}: its .html beside the .js`);
      const definition = definitions[type];
      assert.ok(definition, `${type} registered by its .html`);
      const isConfig = definition.category === 'config';
      assert.equal(isConfig, type === 'edge-ai-model');
      if (!isConfig) {
        assert.equal(definition.category, 'edge AI');
        assert.match(definition.color, /^#[0-9A-Fa-f]{6}$/);
        assert.equal(definition.icon, `${type}.svg`);
        assert.ok(fs.existsSync(path.join(dist, 'icons', definition.icon)), `icon of ${type}`);
        assert.equal(definition.inputs, 1);
        assert.ok(definition.outputs >= 1);
      }
      assert.ok(definition.defaults && Object.keys(definition.defaults).length, `${type} has inline defaults`);
    }
    // The package's files: what npm publishes holds what Node-RED loads.
    for (const entry of ['dist/', 'resources/', 'examples/', 'README.md', 'LICENSE']) assert.ok(pkg.files.includes(entry), entry);
  });

  it('D01: few runtime dependencies, none of them development tools', () => {
    const deps = Object.keys(pkg.dependencies);
    assert.ok(deps.length <= 6, `D01: ${deps.length} dependencies`);
    for (const tool of ['node-red', 'mocha', 'typescript', 'playwright-core', 'mqtt']) assert.ok(!deps.includes(tool), `${tool} is a devDependency`);
  });

  it('every language has every text of en-US, with the same placeholders', () => {
    const languages = fs.readdirSync(path.join(dist, 'locales')).filter((l) => l !== 'en-US');
    assert.ok(languages.length >= 1, 'a second language');
    for (const language of languages) {
      for (const file of fs.readdirSync(path.join(dist, 'locales', 'en-US'))) {
        const other = path.join(dist, 'locales', language, file);
        assert.ok(fs.existsSync(other), `${language}/${file}`);
        if (!file.endsWith('.json')) {
          // Help: the same message properties are documented.
          const names = (f) => [...fs.readFileSync(f, 'utf8').matchAll(/<dt[^>]*>\s*([\w.]+)/g)].map((m) => m[1]).sort();
          assert.deepEqual(names(other), names(path.join(dist, 'locales', 'en-US', file)), `${language}/${file}: message properties`);
          continue;
        }
        const english = JSON.parse(fs.readFileSync(path.join(dist, 'locales', 'en-US', file), 'utf8'));
        const translated = JSON.parse(fs.readFileSync(other, 'utf8'));
        assert.deepEqual(keyPaths(translated).sort(), keyPaths(english).sort(), `${language}/${file}: keys`);
        const value = (object, key) => key.split('.').reduce((o, k) => o[k], object);
        for (const key of keyPaths(english)) {
          const wanted = [...String(value(english, key)).matchAll(/__\w+__/g)].map((m) => m[0]).sort();
          const found = [...String(value(translated, key)).matchAll(/__\w+__/g)].map((m) => m[0]).sort();
          assert.deepEqual([...new Set(found)], [...new Set(wanted)], `${language}/${file} ${key}: placeholders`);
        }
      }
    }
  });
});

describe('the README\'s countable claims', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

  it('installs with no EBADENGINE: every runtime dependency takes Node 18.17, every package the Node running here', () => {
    const semver = require('semver');
    const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
    const refused = [];
    for (const [key, entry] of Object.entries(lock.packages)) {
      const wants = entry.engines?.node;
      if (!key || !wants) continue;
      if (!entry.dev && !semver.satisfies('18.17.0', wants)) refused.push(`${key} (runtime) wants Node ${wants}`);
      // Development tools run on the contributors' Node, 20 as the README says (the Node 18 run
      // uses only the test runner of them).
      if (entry.dev && semver.major(process.version) >= 20 && !semver.satisfies(process.version, wants)) refused.push(`${key} wants Node ${wants}`);
    }
    assert.deepEqual(refused, []);
  });

  it('names as many flow nodes as the package has, and lists every example', () => {
    const definitions = nodeDefinitions(root);
    const flowNodes = Object.values(definitions).filter((d) => d.category !== 'config').length;
    const said = readme.match(/category holds the (\w+) flow nodes/);
    assert.ok(said, 'the README says how many flow nodes the palette holds');
    assert.equal(WORDS.indexOf(said[1]), flowNodes, `"${said[0]}" with ${flowNodes} flow nodes`);
    const examples = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json')).map((f) => path.basename(f, '.json'));
    const listed = [...readme.matchAll(/^- \*\*(\d\d [^*]+)\*\*/gm)].map((m) => m[1]);
    assert.deepEqual(listed, examples, 'the Examples section lists every example, in order');
  });
});
