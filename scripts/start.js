#!/usr/bin/env node
// `npm start`: builds, then runs Node-RED on 127.0.0.1 with this package loaded from the working
// tree and the example flows deployed as the demo. The user dir lives in .node-red/ (git-ignored).
// SIGTERM or SIGINT (a process manager, Ctrl-C) stops Node-RED cleanly, then this script.
//   --reset-demo    overwrite .node-red/flows.json with the demo flows again
// Environment: PORT (default 1880), EDGE_AI_USER_DIR (default ./.node-red),
// EDGE_AI_MODELS / EDGE_AI_MEDIA (default: the test assets' {models,media} once npm test has
// provisioned them, else ../shared/assets when present; without them the demo keeps only what
// runs on catalogue models). The MQTT examples get the broker on 127.0.0.1:1883, or Debian's
// mosquitto started for as long as the demo runs; with neither, their tabs are deployed disabled.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));
const { SHARED, assetsDir, readStatus } = require('../test/helpers/assets/where');

/** Link this package into the user dir the way `npm install <folder>` would. */
function linkPackage(userDir) {
  const link = path.join(userDir, 'node_modules', ...pkg.name.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(root, link, 'dir');
  const userPackage = path.join(userDir, 'package.json');
  if (!fs.existsSync(userPackage)) {
    fs.writeFileSync(userPackage, JSON.stringify({ name: 'edge-ai-demo', private: true, dependencies: { [pkg.name]: `file:${root}` } }, null, 2));
  }
}

/** settings.js: loopback only; `extra` is more settings source text (tests add adminAuth). */
function writeSettings(userDir, port, extra = '') {
  const settings = `module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${port},
  flowFile: 'flows.json',
  editorTheme: { tours: false, projects: { enabled: false } },
  logging: { console: { level: 'info', metrics: false, audit: false } },
  // The demo works offline: no update checks, and no consent dialog asking for them.
  telemetry: { enabled: false, updateNotification: false },
${extra}};
`;
  fs.writeFileSync(path.join(userDir, 'settings.js'), settings);
}

/** The broker the MQTT examples use. */
const DEMO_BROKER = { host: '127.0.0.1', port: 1883 };

/** Whether something accepts connections on the demo broker's port. */
function brokerAnswers() {
  return new Promise((resolve) => {
    const socket = net.connect(DEMO_BROKER.port, DEMO_BROKER.host);
    socket.setTimeout(1000);
    const done = (answered) => { socket.destroy(); resolve(answered); };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** Debian's mosquitto, wherever the package put it. */
const mosquittoBinary = () => ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((f) => fs.existsSync(f));

/**
 * A broker for the MQTT examples: the one already listening on 127.0.0.1:1883, or mosquitto
 * started here for as long as the demo runs (loopback only, its config in the user dir).
 * Resolves with the child it started, `undefined` when one was there, or `null` when there is
 * none: then the MQTT tabs are deployed disabled, rather than logging a failed connection
 * every few seconds.
 */
async function demoBroker(userDir) {
  if (await brokerAnswers()) return undefined;
  const binary = mosquittoBinary();
  if (!binary) return null;
  const config = path.join(userDir, 'mosquitto.conf');
  fs.writeFileSync(config, `listener ${DEMO_BROKER.port} ${DEMO_BROKER.host}\nallow_anonymous true\npersistence false\n`);
  const child = spawn(binary, ['-c', config], { stdio: 'ignore' });
  for (let i = 0; i < 50 && !(await brokerAnswers()); i++) await new Promise((r) => setTimeout(r, 100));
  return child;
}

/**
 * Each example becomes a tab of the demo. On a machine without the test assets, examples that
 * cannot run without them are left out; without an MQTT broker, those that use one are kept
 * but disabled.
 */
function demoFlows(env, { broker = true } = {}) {
  const examples = path.join(root, 'examples');
  const unset = (text) => [...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]).filter((name) => !env[name]);
  const flows = [];
  for (const file of fs.readdirSync(examples).filter((f) => f.endsWith('.json')).sort()) {
    const nodes = JSON.parse(fs.readFileSync(path.join(examples, file), 'utf8'));
    const missing = nodes.filter((n) => n.type !== 'comment').flatMap((n) => unset(JSON.stringify(n)));
    if (missing.length) {
      console.warn(`[edge-ai] demo: left out "${file}": it needs ${[...new Set(missing)].join(', ')}`);
      continue;
    }
    const usesMqtt = nodes.some((n) => n.type === 'mqtt-broker');
    if (usesMqtt && !broker) {
      console.warn(`[edge-ai] demo: "${file}" is deployed disabled: no MQTT broker on ${DEMO_BROKER.host}:${DEMO_BROKER.port} (apt-get install mosquitto, then npm start -- --reset-demo)`);
    }
    const tab = `demo-tab-${flows.length}`;
    flows.push({ id: tab, type: 'tab', label: path.basename(file, '.json').replace(/^\d+\s*/, ''), disabled: usesMqtt && !broker, info: '' });
    // Config nodes (no place on the canvas) stay global.
    for (const node of nodes) flows.push(node.x === undefined ? node : { ...node, z: tab });
  }
  return flows;
}

function writeDemo(userDir, reset, env, options) {
  const flowFile = path.join(userDir, 'flows.json');
  if (fs.existsSync(flowFile) && !reset) return;
  fs.writeFileSync(flowFile, JSON.stringify(demoFlows(env, options), null, 2));
}

/** The test assets when npm test provisioned them, else the team's shared copy when present. */
function assetFolder() {
  if (readStatus()) return assetsDir();
  return fs.existsSync(SHARED) ? SHARED : undefined;
}

function assetEnv() {
  const env = { ...process.env };
  const assets = assetFolder();
  if (assets) {
    env.EDGE_AI_MODELS ??= path.join(assets, 'models');
    env.EDGE_AI_MEDIA ??= path.join(assets, 'media');
  } else if (!env.EDGE_AI_MODELS) {
    console.warn('[edge-ai] no test assets yet: the demo uses catalogue models only (npm test provisions the assets; or set EDGE_AI_MODELS and EDGE_AI_MEDIA)');
  }
  return env;
}

/** Prepare a user dir (package linked, settings, demo flows) and start Node-RED in it. */
function startNodeRed({ userDir, port, settings = '', resetDemo = false, demo = true, broker = true, stdio = 'inherit', env: extraEnv = {} }) {
  fs.mkdirSync(userDir, { recursive: true });
  linkPackage(userDir);
  writeSettings(userDir, port, settings);
  const env = { ...assetEnv(), ...extraEnv };
  // glibc gives each new thread (inference workers, libvips, onnxruntime) a malloc arena of its
  // own and keeps what was freed in it: with redeploys starting new workers, RSS climbed to a
  // plateau 130 MB higher (soak: ~480 against 349 MB with two arenas, flat over 9 redeploys).
  env.MALLOC_ARENA_MAX ??= '2';
  if (demo) writeDemo(userDir, resetDemo, env, { broker });
  else fs.writeFileSync(path.join(userDir, 'flows.json'), '[]');
  const redMain = require.resolve('node-red/red.js');
  // With two cores busy (inference, image decoding), V8's parallel GC helpers wait for a core and
  // stretch the event loop's pauses (measured max 21-25 ms -> 9-12 ms with one GC thread).
  const gc = require('node:os').cpus().length <= 2 ? ['--single-threaded-gc'] : [];
  return spawn(process.execPath, [...gc, redMain, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], { stdio, env });
}

module.exports = { startNodeRed, demoBroker, demoFlows };

/** Longest wait for Node-RED to stop after SIGTERM before it is killed (its close handlers get 15 s). */
const STOP_TIMEOUT_MS = 20000;

async function main() {
  execFileSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: 'inherit' });
  const userDir = path.resolve(process.env.EDGE_AI_USER_DIR || path.join(root, '.node-red'));
  fs.mkdirSync(userDir, { recursive: true });
  const broker = await demoBroker(userDir);
  if (broker) console.log(`[edge-ai] demo: started mosquitto on ${DEMO_BROKER.host}:${DEMO_BROKER.port} for the MQTT examples`);
  const red = startNodeRed({
    userDir,
    port: Number(process.env.PORT || 1880),
    resetDemo: process.argv.includes('--reset-demo'),
    broker: broker !== null,
  });
  // Node-RED stops its flows on SIGTERM and SIGINT; this process stays until it has, so a
  // process manager sees the whole service stop.
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      red.kill('SIGTERM');
      setTimeout(() => red.kill('SIGKILL'), STOP_TIMEOUT_MS).unref();
    });
  }
  red.on('exit', (code, signal) => {
    broker?.kill('SIGTERM');
    process.exit(code ?? (signal && !stopping ? 1 : 0));
  });
}

if (require.main === module) main();
