'use strict';
// A fleet on a real mosquitto: two Node-RED processes as two devices, each with an mqtt in on the
// model's bundle topic, edge-ai-model-update and an mqtt out for its retained status. One
// published bundle updates both, and each status topic says so; a tampered bundle is refused by
// both with the old model serving. Then one device killed with SIGKILL at random moments while
// a bundle is downloaded, verified and swapped in: after every kill the state on disk names a
// whole, verified version (the old or the new), and the next start finishes the update from the
// retained message.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const mqtt = require('mqtt');
const { startMosquitto, subscriber } = require('../helpers/mosquitto');
const { startServer } = require('../helpers/server');
const { images } = require('../helpers/paths');
const { tinyClassifier } = require('../helpers/onnx-builder');
const { makeBundle, flip } = require('../helpers/bundles');
const { until, delay, freePort } = require('../helpers/wait');
const { startNodeRed } = require('../../scripts/start.js');
const { generateSigningKeys, UpdateStore, updatesFolder } = require('../../dist/lib/update');

const GOLDEN = ['orange.jpg', 'apple.jpg'].map((f) => path.join(images, f));
const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
const variant = (n) => tinyClassifier(8, { variant: String(n) });
/** Kills in the fault-injection test; the 100 with EDGE_AI_UPDATE_KILLS=100 (about 8 minutes). */
const KILLS = Number(process.env.EDGE_AI_UPDATE_KILLS || 12);

/** The device's flow: bundles in over MQTT, status out over MQTT, and GET /infer answering which model ran. */
function deviceFlow(device, brokerPort, publicPem) {
  return [
    { id: 'fleet-tab', type: 'tab', label: 'device' },
    { id: 'broker', type: 'mqtt-broker', broker: '127.0.0.1', port: String(brokerPort), clientid: `edge-ai-${device}`, autoConnect: true, protocolVersion: '4', keepalive: '60', cleansession: true },
    { id: 'model', type: 'edge-ai-model', source: 'update', update: 'tiny', task: 'classification', labelsSource: 'none' },
    { id: 'bundles', z: 'fleet-tab', type: 'mqtt in', topic: 'edge-ai/models/tiny', qos: '1', datatype: 'buffer', broker: 'broker', nl: false, rap: true, rh: 0, inputs: 0, wires: [['update']] },
    { id: 'update', z: 'fleet-tab', type: 'edge-ai-model-update', model: 'model', device, maxMegabytes: 2, credentials: { publicKeys: publicPem }, wires: [['status-out']] },
    { id: 'status-out', z: 'fleet-tab', type: 'mqtt out', topic: '', qos: '', retain: '', broker: 'broker', wires: [] },
    { id: 'ask', z: 'fleet-tab', type: 'http in', url: '/infer', method: 'get', wires: [['tensor']] },
    { id: 'tensor', z: 'fleet-tab', type: 'function', func: "msg.payload = { data: Buffer.from(new Float32Array(192).fill(0.5).buffer), dims: [1, 3, 8, 8], type: 'float32' };\nreturn msg;", outputs: 1, wires: [['infer']] },
    { id: 'infer', z: 'fleet-tab', type: 'edge-ai-infer', model: 'model', mode: 'batch', queueSize: 10, topK: 1, wires: [['answer']] },
    { id: 'answer', z: 'fleet-tab', type: 'change', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'inference', tot: 'msg' }], wires: [['reply']] },
    { id: 'reply', z: 'fleet-tab', type: 'http response', statusCode: '', headers: {}, wires: [] },
  ];
}

async function deploy(base, flows) {
  const response = await fetch(`${base}/flows`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
    body: JSON.stringify({ flows }),
  });
  const text = await response.text();
  assert.equal(response.status, 200, text);
}

/** The SHA-256 of the model that answered GET /infer (the http in route is on the same port). */
async function servedBy(base) {
  const response = await fetch(`${base}/infer`);
  const text = await response.text();
  assert.equal(response.status, 200, text);
  return JSON.parse(text).sha256;
}

async function publish(port, bytes) {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  await new Promise((resolve, reject) => client.once('connect', resolve).once('error', reject));
  await client.publishAsync('edge-ai/models/tiny', bytes, { qos: 1, retain: true });
  await client.endAsync();
}

/** The newest status each device published, by device. */
function latest(messages) {
  const byDevice = {};
  for (const m of messages) byDevice[m.topic.split('/')[2]] = JSON.parse(m.text);
  return byDevice;
}

describe('a fleet updated over MQTT', function () {
  this.timeout(900000);
  let dir;
  let keys;
  let broker;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-fleet-'));
    keys = generateSigningKeys();
    broker = await startMosquitto();
  });
  after(async () => {
    await broker.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const bundle = (file, version, bytes) => makeBundle(dir, { file, version, bytes, key: keys, golden: GOLDEN });

  it('one published bundle updates two devices, each status topic says so, and a tampered one is refused by both', async () => {
    const statuses = await subscriber(broker.port, 'edge-ai/status/#');
    const devices = [await startServer({ demo: false }), await startServer({ demo: false })];
    try {
      await Promise.all(devices.map((d, i) => deploy(d.base, deviceFlow(`pi-${i + 1}`, broker.port, keys.publicPem))));
      await until(() => Object.keys(latest(statuses.messages)).length === 2, 'both devices\' first status', 30000);
      assert.deepEqual(latest(statuses.messages), { 'pi-1': { device: 'pi-1' }, 'pi-2': { device: 'pi-2' } });

      await publish(broker.port, await bundle('f1', '1.0', variant(1)));
      const at = (version) => Object.values(latest(statuses.messages)).every((s) => s.version === version && s.last.result === 'applied');
      await until(() => at('1.0'), 'both devices at 1.0', 60000);
      for (const d of devices) assert.equal(await servedBy(d.base), sha256(variant(1)));

      await publish(broker.port, await bundle('f2', '2.0', variant(2)));
      await until(() => at('2.0'), 'both devices at 2.0', 60000);
      const status = latest(statuses.messages);
      for (const name of ['pi-1', 'pi-2']) {
        assert.deepEqual([status[name].model, status[name].sha256, status[name].previous, status[name].keyId], ['tiny', sha256(variant(2)), '1.0', keys.id]);
      }
      for (const d of devices) assert.equal(await servedBy(d.base), sha256(variant(2)));
      // The health endpoint says the same as the topic.
      const report = await (await fetch(`${devices[0].base}/edge-ai/health`)).json();
      assert.deepEqual([report.models[0].update.version, report.models[0].update.sha256], ['2.0', sha256(variant(2))]);

      await publish(broker.port, flip(await bundle('f3', '3.0', variant(3)), 2000));
      await until(() => Object.values(latest(statuses.messages)).every((s) => s.last.result === 'refused'), 'both devices refusing', 60000);
      for (const s of Object.values(latest(statuses.messages))) {
        assert.match(s.last.reason, /signature does not match its contents/);
        assert.equal(s.version, '2.0');
      }
      for (const d of devices) assert.equal(await servedBy(d.base), sha256(variant(2)), 'the old model serves');
      // Retained: a status subscriber that comes later sees every device at once.
      const late = await subscriber(broker.port, 'edge-ai/status/#');
      await until(() => late.messages.length === 2, 'the retained statuses');
      assert.deepEqual(Object.keys(latest(late.messages)).sort(), ['pi-1', 'pi-2']);
      await late.close();
    } finally {
      await statuses.close();
      for (const d of devices) await d.stop();
    }
  });

  it(`killed with SIGKILL at ${KILLS} random moments of an update: old or new version whole after each, and the update finished`, async () => {
    // A clean topic: the bundles of the test before are not this device's.
    await publish(broker.port, Buffer.alloc(0));
    const userDir = path.join(dir, 'killed');
    const port = await freePort();
    const first = startNodeRed({ userDir, port, settings: 'credentialSecret: false,', demo: false, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const started = (child) => new Promise((resolve, reject) => {
      output = '';
      const take = (d) => {
        output += d;
        if (/Started flows/.test(output)) resolve();
      };
      child.stdout.on('data', take);
      child.stderr.on('data', take);
      child.once('exit', () => reject(new Error(`Node-RED exited before its flows started:\n${output}`)));
    });
    await started(first);
    await deploy(`http://127.0.0.1:${port}`, deviceFlow('pi-k', broker.port, keys.publicPem));
    await new Promise((resolve) => { first.once('exit', resolve); first.kill('SIGTERM'); });
    const launch = () => spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MALLOC_ARENA_MAX: '2' } });
    const root = updatesFolder(userDir, 'tiny');
    const shas = new Map();
    let published = 0;
    const outcomes = { old: 0, new: 0, none: 0 };
    for (let kill = 1; kill <= KILLS; kill++) {
      // A newer bundle on the retained topic; the device takes it at its next start.
      const bytes = variant(1000 + kill);
      shas.set(sha256(bytes), String(kill));
      await publish(broker.port, await bundle(`k${kill}`, String(kill), bytes));
      published = kill;
      const before = fs.existsSync(path.join(root, 'state.json')) ? new UpdateStore(root).state().current?.version : undefined;
      const child = launch();
      await started(child);
      // Somewhere in receiving, verifying (the canary takes most of it) and swapping.
      await delay(Math.random() * 1000);
      await new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGKILL'); });
      // What a start does first: the state file decides what serves.
      const store = new UpdateStore(root);
      const current = store.reconcile();
      const version = current?.version;
      assert.ok(version === before || version === String(kill), `kill ${kill}: serving ${version}, neither the old ${before} nor the new ${kill}`);
      if (current) {
        assert.equal(sha256(fs.readFileSync(store.servedFile())), current.sha256, `kill ${kill}: the served file is whole`);
        assert.equal(shas.get(current.sha256), version, `kill ${kill}: the model of version ${version}`);
      }
      assert.deepEqual(fs.readdirSync(root).filter((f) => f.endsWith('.partial')), [], `kill ${kill}: no partial file`);
      outcomes[version === undefined ? 'none' : version === before ? 'old' : 'new']++;
    }
    // A start left alone finishes the update from the retained message.
    const child = launch();
    try {
      await started(child);
      const base = `http://127.0.0.1:${port}`;
      const want = [...shas.entries()].find(([, v]) => v === String(published))[0];
      let served;
      for (const end = Date.now() + 60000; served !== want && Date.now() < end; await delay(250)) {
        served = await fetch(`${base}/infer`).then((r) => r.json()).then((j) => j.sha256, () => undefined);
      }
      assert.equal(served, want, 'the newest version serves');
      assert.equal(new UpdateStore(root).state().current.version, String(published));
    } finally {
      await new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); });
    }
    console.log(`      ${KILLS} kills: ${outcomes.new} left the new version, ${outcomes.old} the old, ${outcomes.none} none yet; the last start finished at version ${published}`);
    assert.ok(outcomes.new > 0 && outcomes.old + outcomes.none > 0, `kills landed both before and after the switch: ${JSON.stringify(outcomes)}`);
  });
});
