'use strict';
// `npm start` for real: Node-RED in its own process with the package linked into a fresh user
// dir, the demo deployed, results watched over the editor's websocket like a browser would.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const WebSocket = require('ws');
const { root } = require('../helpers/paths');
const { startServer } = require('../helpers/server');

const EXPECTED_TYPES = ['edge-ai-camera', 'edge-ai-preprocess', 'edge-ai-model', 'edge-ai-infer', 'edge-ai-trigger', 'edge-ai-annotate', 'edge-ai-collect', 'edge-ai-model-update'];

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  assert.equal(response.status, 200, `${url} answered ${response.status}`);
  return response.json();
}

describe('npm start: the demo flows', () => {
  it('deploys the tabs that use MQTT disabled when no broker can be had, and says so once each', () => {
    const { demoFlows } = require('../../scripts/start.js');
    const env = { EDGE_AI_MODELS: '/m', EDGE_AI_MEDIA: '/v' };
    const warned = [];
    const warn = console.warn;
    console.warn = (line) => warned.push(line);
    let without;
    try {
      without = demoFlows(env, { broker: false });
    } finally {
      console.warn = warn;
    }
    const withBroker = demoFlows(env, { broker: true });
    const tabs = (flows) => flows.filter((n) => n.type === 'tab').map((t) => [t.label, t.disabled]);
    const mqttTabs = new Set(without.filter((n) => n.type === 'mqtt-broker' || n.type === 'mqtt in' || n.type === 'mqtt out').map((n) => n.z).filter(Boolean));
    assert.ok(mqttTabs.size >= 2, 'examples 04 and 06 use MQTT');
    assert.deepEqual(tabs(without).filter(([, disabled]) => disabled).length, mqttTabs.size);
    assert.ok(tabs(withBroker).every(([, disabled]) => !disabled));
    assert.equal(warned.length, mqttTabs.size);
    assert.match(warned[0], /deployed disabled: no MQTT broker on 127\.0\.0\.1:1883 \(apt-get install mosquitto/);
  });
});

describe('npm start: a real Node-RED server with the demo flows', function () {
  this.timeout(90000);
  let server;
  let base;
  const output = () => server.output();

  before(async () => {
    // Exactly what `npm start` runs, on a free port and a fresh user dir.
    server = await startServer({
      launch: (port, userDir) => spawn(process.execPath, [path.join(root, 'scripts', 'start.js')], {
        env: { ...process.env, PORT: String(port), EDGE_AI_USER_DIR: userDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    });
    base = server.base;
  });

  after(() => server?.stop());

  it('loads the eight node types without errors and lists the examples', async () => {
    const sets = (await getJson(`${base}/nodes`)).filter((s) => s.module === '@edgeflow/node-red-edge-ai');
    assert.deepEqual(sets.flatMap((s) => s.types).sort(), [...EXPECTED_TYPES].sort());
    for (const set of sets) assert.ok(set.enabled && !set.err, `${set.id}: ${set.err}`);
    const examples = await getJson(`${base}/library/examples/flows/@edgeflow/node-red-edge-ai`);
    const names = examples.map((e) => (typeof e === 'string' ? e : e.fn)).sort();
    assert.deepEqual(names, fs.readdirSync(path.join(root, 'examples')).map((f) => path.basename(f, '.json')).sort());
    const messages = await getJson(`${base}/nodes/messages?lng=en-US`);
    const engine = messages['@edgeflow/node-red-edge-ai/edge-ai-model']['edge-ai-model'].engine;
    assert.match(engine.notImage, /Expected an encoded image Buffer/, 'engine error texts are in the catalog');
  });

  it('runs the demo: translated statuses and results reach the editor', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/comms`);
    const seen = { debug: [], status: [] };
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    ws.send(JSON.stringify({ subscribe: 'debug' }));
    ws.send(JSON.stringify({ subscribe: 'status/#' }));
    ws.on('message', (data) => {
      for (const { topic, data: body } of [].concat(JSON.parse(data))) {
        if (topic === 'debug') seen.debug.push(body);
        else if (topic.startsWith('status/')) seen.status.push(body);
      }
    });
    const until = Date.now() + 60000;
    const eventsNode = (d) => d.name === 'events' && /"type":\s*"start"/.test(d.msg);
    const classesNode = (d) => d.name === 'best classes';
    // The catalogue model is fetched, tried in the checker process, then loaded: it may come last.
    const yoloLoaded = () => /\] loaded yolov8n\.onnx/.test(output());
    while (!(seen.debug.some(eventsNode) && seen.debug.some(classesNode) && yoloLoaded()) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
    }
    ws.close();
    assert.ok(seen.debug.some(classesNode), `classification results in the debug sidebar:\n${output().slice(-2000)}`);
    assert.ok(seen.debug.some(eventsNode), 'a trigger start event in the debug sidebar');
    const texts = seen.status.map((s) => s.text).filter(Boolean);
    assert.ok(texts.length > 0);
    for (const text of texts) assert.doesNotMatch(text, /^edge-ai-\w+\./, `untranslated status "${text}"`);
    assert.doesNotMatch(output(), /\[error\]/, 'no errors in the Node-RED log');
    // The MQTT examples' broker: mosquitto, started by npm start when none listens; where none is
    // installed (the Node 18 root), the MQTT tabs are deployed disabled. Never a failing connection.
    const disabled = /deployed disabled: no MQTT broker on 127\.0\.0\.1:1883/.test(output());
    if (!disabled) assert.match(output(), /Connected to broker: .*127\.0\.0\.1:1883/, 'the MQTT tabs reach a broker');
    assert.doesNotMatch(output(), /Connection failed to broker/);
    assert.match(output(), /\[edge-ai-model:YOLOv8n \(AGPL\)\] loaded yolov8n\.onnx sha256 505648ada344; inputs images float32\[1,3,640,640\]/, `the catalogue model was fetched and loaded:\n${output().split('\n').filter((l) => /edge-ai-model/.test(l)).join('\n')}`);
  });
});
