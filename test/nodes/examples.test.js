'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { helper, load, collect, serveHttpNodes } = require('../helpers/flow');
const { root, assets } = require('../helpers/paths');
const { until, delay } = require('../helpers/wait');
const { startMosquitto, subscriber } = require('../helpers/mosquitto');
const { nodeDefaults } = require('../../scripts/node-definitions');
const { generatedExamples } = require('../../scripts/examples');

const examplesDir = path.join(root, 'examples');

/** An example flow with its debug nodes swapped for helper nodes that tests can listen to. */
function example(file) {
  const nodes = JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8'));
  return nodes.map((n) => (n.type === 'debug' ? { id: n.id, z: n.z, type: 'helper', name: n.name } : n));
}

const debugNode = (flow, name) => flow.find((n) => n.type === 'helper' && n.name === name).id;

describe('examples', function () {
  afterEach(() => helper.unload());

  it('every example uses only core nodes and ours, and explains itself in a comment', () => {
    const files = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json'));
    assert.ok(files.length >= 2);
    const core = new Set(['comment', 'debug', 'inject', 'catch', 'status', 'complete', 'change', 'switch', 'trigger', 'delay', 'mqtt in', 'mqtt out', 'mqtt-broker',
      'http in', 'http response', 'http request', 'function', 'template', 'rbe']);
    for (const file of files) {
      const nodes = JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8'));
      assert.ok(nodes.some((n) => n.type === 'comment' && n.info), `${file} has an explaining comment`);
      for (const n of nodes) assert.ok(core.has(n.type) || n.type.startsWith('edge-ai-'), `${file}: ${n.type}`);
    }
  });

  it('every shipped example carries every setting its nodes define, as scripts/examples.js writes them', () => {
    const defaults = nodeDefaults(root);
    // The definitions are read from the dialogs themselves: settings added late are there too.
    assert.ok(['framesNeeded', 'confirmFrames', 'lostAfter', 'dwell'].every((k) => k in defaults['edge-ai-trigger']));
    assert.ok('maxMegapixels' in defaults['edge-ai-preprocess']);
    for (const { file, text } of generatedExamples(defaults)) {
      const nodes = JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8'));
      for (const node of nodes.filter((n) => defaults[n.type])) {
        const missing = Object.keys(defaults[node.type]).filter((key) => !(key in node));
        assert.deepEqual(missing, [], `${file}: ${node.type} "${node.name || node.id}" lacks settings`);
      }
      assert.equal(fs.readFileSync(path.join(examplesDir, file), 'utf8'), text, `${file} is as scripts/examples.js writes it`);
    }
  });

  it('docs/nodes.md names every property of every node with its default, as scripts/node-reference.js writes it', () => {
    const { reference } = require('../../scripts/node-reference');
    const text = reference();
    assert.equal(fs.readFileSync(path.join(root, 'docs', 'nodes.md'), 'utf8'), text, 'docs/nodes.md is out of date: node scripts/node-reference.js');
    for (const [type, props] of Object.entries(nodeDefaults(root))) {
      const section = text.split(`\n## ${type}\n`)[1].split('\n## ')[0];
      for (const [prop, value] of Object.entries(props)) {
        assert.ok(section.includes(`| \`${prop}\` | \`${JSON.stringify(value)}\` |`), `${type}.${prop} with its default ${JSON.stringify(value)}`);
      }
    }
    assert.match(text, /`"catalogue"` From the catalogue/, 'the choices of a field, with the dialog\'s words for them');
    assert.match(text, /\| `yolov8n-coco` \| YOLOv8n/, 'the catalogue\'s ids');
  });

  it('"classify a folder of photos" classifies every photo once, then stops', async () => {
    const flow = example('01 classify a folder of photos.json');
    const photos = fs.readdirSync(path.join(process.env.EDGE_AI_MEDIA, 'images')).filter((f) => /\.(jpe?g|png|bmp)$/i.test(f));
    // The camera's first frame needs file I/O, so listening right after the deploy misses nothing.
    await load(flow);
    const results = collect(debugNode(flow, 'best classes'), photos.length, 40000);
    const msgs = await results;
    const byFile = Object.fromEntries(msgs.map((m) => [path.basename(m.frame.source), m.payload]));
    assert.equal(Object.keys(byFile).length, photos.length, 'each photo once');
    assert.equal(byFile['grace_hopper.bmp'][0].label, 'military uniform');
    assert.equal(byFile['parrot.jpg'][0].label, 'macaw');
    assert.deepEqual(msgs.map((m) => m.frame.seq), photos.map((_p, i) => i + 1));
  });

  it('"live camera detect and trigger" runs on the bare test pattern: start when the stop sign comes, end when it has gone', async function () {
    this.timeout(90000);
    const flow = example('02 live camera detect and trigger.json');
    await load(flow);
    const events = collect(debugNode(flow, 'events'), 2, 60000);
    const sees = collect(debugNode(flow, 'what it sees'), 2, 60000);
    const [start, end] = await events;
    assert.deepEqual([start.payload.type, start.payload.labels, end.payload.type], ['start', ['stop sign'], 'end']);
    assert.ok(start.detections.some((d) => d.label === 'stop sign' && d.score >= 0.5));
    // The stop sign is out of the picture for 4 s of every 12; the trigger holds 2 s.
    assert.ok(end.payload.duration > 2000 && end.payload.duration < 12000, `duration ${end.payload.duration}`);
    const frames = await sees;
    assert.ok(frames.every((m) => Array.isArray(m.payload) && m.frame.source === 'pattern' && m.frame.width === 640));
    assert.ok(frames.every((m) => m.payload.some((d) => d.label === 'clock')), 'the clock is seen on every frame');
    // One every 2 s reaches the sidebar: the delay node drops the frames in between.
    assert.ok(frames[1].frame.seq - frames[0].frame.seq >= 5, `frames ${frames[0].frame.seq} and ${frames[1].frame.seq}`);
  });

  it('"network camera count people" counts the pedestrians of the test stream its comment starts, and reports its status', async function () {
    this.timeout(90000);
    const flow = example('03 network camera count people.json');
    const url = flow.find((n) => n.type === 'edge-ai-camera').url;
    assert.equal(url, 'udp://127.0.0.1:5000');
    // The comment's command, with the sample CCTV video as the "video of people".
    const camera = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-stream_loop', '-1',
      '-i', path.join(assets, 'media', 'video', 'vtest_10s_640x480_h264.mp4'), '-f', 'mpegts', url], { stdio: 'ignore' });
    try {
      await load(flow);
      const statuses = collect(debugNode(flow, 'camera status'), 1, 40000);
      const events = collect(debugNode(flow, 'events'), 1, 60000);
      const counts = await collect(debugNode(flow, 'people'), 3, 60000);
      assert.ok(counts.every((m) => m.payload >= 2 && m.frame.format === 'rgb' && m.frame.source === url), `people counted: ${counts.map((m) => m.payload)}`);
      const [event] = await events;
      assert.deepEqual([event.payload.type, event.payload.labels], ['start', ['person']]);
      // The status node passes the camera's status on (the helper runtime shows catalog keys, not texts).
      const [status] = await statuses;
      assert.equal(status.status.source.name, 'network camera');
      assert.match(status.status.text, /streaming|connecting/);
    } finally {
      camera.kill('SIGKILL');
    }
  });

  it('"count crossings, MQTT, GPIO and webhook" publishes exactly its events to a real mosquitto, pulses on crossings and posts dwells', async function () {
    this.timeout(120000);
    const broker = await startMosquitto();
    const watcher = await subscriber(broker.port, 'edge-ai/#');
    await helper.startServer();
    // The webhook goes to this runtime's own http in node.
    process.env.PORT = helper.url().split(':').pop();
    try {
      const flow = example('04 count crossings, MQTT, GPIO and webhook.json')
        .map((n) => (n.type === 'mqtt-broker' ? { ...n, port: String(broker.port) } : n));
      await load(flow);
      serveHttpNodes();
      const events = [];
      const pulses = [];
      const webhooks = [];
      helper.getNode(debugNode(flow, 'events')).on('input', (msg) => events.push(msg));
      helper.getNode(debugNode(flow, 'GPIO 17 (on a Pi: rpi-gpio out)')).on('input', (msg) => pulses.push(msg.payload));
      helper.getNode(debugNode(flow, 'webhook answer')).on('input', (msg) => webhooks.push(msg.payload));
      // The first 30 s of the CCTV video: people cross the walkway and stop at the meeting point.
      await until(() => events.some((e) => e.payload.type === 'cross') && events.some((e) => e.payload.type === 'dwell') && webhooks.length, 'a crossing, a dwell and its webhook', 90000);
      await helper.unload();
      await delay(500);
      const published = watcher.messages.map((m) => ({ topic: m.topic, body: JSON.parse(m.text) }));
      const expected = events.map((e) => ({ topic: `edge-ai/walkway/${e.payload.type}`, body: JSON.parse(JSON.stringify(e.payload)) }));
      assert.deepEqual(published, expected, 'every event once, in order, as JSON on its topic, and nothing else');
      const cross = events.find((e) => e.payload.type === 'cross').payload;
      assert.ok(['left', 'right'].includes(cross.direction) && cross.line === 'walkway' && cross.label === 'person' && cross.trackId > 0, JSON.stringify(cross));
      assert.deepEqual(Object.keys(cross.totals), ['left', 'right']);
      // The GPIO pulse: a 1, then a 0 half a second later.
      assert.deepEqual(pulses.slice(0, 2), [1, 0]);
      const dwell = events.find((e) => e.payload.type === 'dwell').payload;
      assert.equal(dwell.zone, 'meeting point');
      assert.ok(dwell.dwell >= 5000);
      assert.deepEqual(webhooks[0], { received: 'dwell', zone: 'meeting point', trackId: dwell.trackId });
    } finally {
      delete process.env.PORT;
      await watcher.close();
      await helper.stopServer();
      await broker.stop();
    }
  });
});
