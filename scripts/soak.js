#!/usr/bin/env node
// `npm run soak -- --minutes N [--kill-every S] [--redeploy-every S] [--out DIR] [--default-malloc]`
//
// Runs the whole pipeline in node-red's runtime for N minutes while the field happens to it:
// an RTSP camera (the sample video, published by ffmpeg into a relay) into YOLOX-nano int8,
// a trigger with a zone and a counting line and annotate; a test-pattern camera into
// MobileNetV2 int8. Every --kill-every seconds the camera's ffmpeg is killed (every third
// time the publisher instead: the stream goes away for 5 s); every --redeploy-every seconds
// the flow is closed and deployed again. Every 10 s it prints RSS, heap, file descriptors,
// the pipeline's child processes (not the publisher), threads, event-loop delay and the
// result rates; at the end it writes the samples as JSON to DIR (default soak-results/) and
// exits 1 if the pipeline stalled (no detections 30 s after the last disruption) or left a
// process, worker or descriptor behind.
'use strict';
// Run as `npm start` runs Node-RED: with two malloc arenas (see scripts/start.js), unless
// --default-malloc. glibc reads the variable at start, so the script starts itself again.
if (!process.env.MALLOC_ARENA_MAX && !process.argv.includes('--default-malloc')) {
  const run = require('node:child_process').spawnSync(process.execPath, [...process.execArgv, __filename, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, MALLOC_ARENA_MAX: '2' } });
  process.exit(run.status ?? 1);
}
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { helper, loadFlow, ourNodes, root } = require('./flow-runner');
const { childProcesses } = require('../test/helpers/processes');
const { startRtspRelay } = require('../test/helpers/rtsp-server');
const { slope } = require('../test/helpers/stats');

const argument = (name, fallback) => { const at = process.argv.indexOf(name); return at > 0 ? Number.isNaN(Number(process.argv[at + 1])) ? process.argv[at + 1] : Number(process.argv[at + 1]) : fallback; };
const MINUTES = argument('--minutes', 30);
const KILL_EVERY_S = argument('--kill-every', 60);
const REDEPLOY_EVERY_S = argument('--redeploy-every', 150);
const OUT = path.resolve(String(argument('--out', path.join(root, 'soak-results'))));
const SAMPLE_S = 10;
/** A disruption may stop the results this long before it counts as a stall. */
const RECOVERY_S = 30;

// The test assets (models, photos, video), provisioned as npm test does (test/helpers/assets/).
const { assetsDir, ensureProvisioned } = require('../test/helpers/assets/where');
ensureProvisioned();
const assets = assetsDir();
const models = path.join(assets, 'models');
const VIDEO = path.join(assets, 'media', 'video', 'vtest_h264.mp4');
const { SessionWorker } = require('../dist/lib/model');

const openFds = () => fs.readdirSync('/proc/self/fd').length;
const threadCount = () => fs.readdirSync('/proc/self/task').length;
const mb = (bytes) => Math.round(bytes / 104857.6) / 10;

const example04Trigger = JSON.parse(fs.readFileSync(path.join(root, 'examples', '04 count crossings, MQTT, GPIO and webhook.json'), 'utf8'))
  .find((n) => n.type === 'edge-ai-trigger');

function flow(url) {
  const z = 'soak';
  return [
    { id: z, type: 'tab', label: 'soak' },
    { id: 'yolox', type: 'edge-ai-model', path: path.join(models, 'detection', 'yolox_nano_416_int8_qdq.onnx'), labelsSource: 'file', labelsFile: path.join(models, 'detection', 'coco_classes.txt'), threads: 1 },
    { id: 'mobilenet', type: 'edge-ai-model', path: path.join(models, 'classification', 'mobilenet_v2_224_int8_qdq.onnx'), labelsSource: 'file', labelsFile: path.join(models, 'classification', 'imagenet_labels_1001.txt'), threads: 1 },
    { id: 'cam-rtsp', z, type: 'edge-ai-camera', source: 'stream', url, rtspTransport: 'tcp', mode: 'continuous', fps: 10, stallTimeout: 5, wires: [['pre-detect']] },
    { id: 'pre-detect', z, type: 'edge-ai-preprocess', settings: 'model', model: 'yolox', wires: [['infer-detect']] },
    { id: 'infer-detect', z, type: 'edge-ai-infer', model: 'yolox', mode: 'live', wires: [['detected', 'trigger']] },
    // The trigger of example 04: a zone and a counting line over the walkway of the sample video.
    { ...example04Trigger, id: 'trigger', z, wires: [['events'], ['annotate']] },
    { id: 'annotate', z, type: 'edge-ai-annotate', wires: [['drawn']] },
    { id: 'cam-pattern', z, type: 'edge-ai-camera', source: 'pattern', width: 320, height: 240, mode: 'continuous', fps: 5, wires: [['pre-classify']] },
    { id: 'pre-classify', z, type: 'edge-ai-preprocess', settings: 'model', model: 'mobilenet', wires: [['infer-classify']] },
    { id: 'infer-classify', z, type: 'edge-ai-infer', model: 'mobilenet', mode: 'live', wires: [['classified']] },
    { id: 'catcher', z, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    ...['detected', 'events', 'drawn', 'classified', 'caught'].map((id) => ({ id, z, type: 'helper' })),
  ];
}

/** ffmpeg publishing the sample video, looped, into the relay. */
function publish(url) {
  return spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-stream_loop', '-1', '-i', VIDEO,
    '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '10', '-f', 'rtsp', '-rtsp_transport', 'tcp', url], { stdio: 'ignore' });
}

async function main() {
  const relay = await startRtspRelay();
  const url = `rtsp://127.0.0.1:${relay.port}/soak`;
  let publisher = publish(url);
  const counts = { detected: 0, events: 0, drawn: 0, classified: 0, caught: 0 };
  const errors = new Map();
  const nodeFiles = ourNodes(['camera', 'preprocess', 'model', 'infer', 'trigger', 'annotate']);
  let lastDetection = Date.now();
  async function deploy() {
    await loadFlow(nodeFiles, flow(url));
    for (const id of Object.keys(counts)) {
      helper.getNode(id).on('input', (msg) => {
        counts[id]++;
        if (id === 'detected') lastDetection = Date.now();
        if (id === 'caught') errors.set(msg.error.message, (errors.get(msg.error.message) ?? 0) + 1);
      });
    }
  }

  const baseline = { fds: openFds(), threads: threadCount() };
  await deploy();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const started = Date.now();
  const samples = [];
  const disruptions = [];
  const stalls = [];
  let lastDisruption = started;
  let kills = 0;
  let republish;
  let previous = { ...counts };
  let nextKill = KILL_EVERY_S;
  let nextRedeploy = REDEPLOY_EVERY_S;

  console.log(`soak: ${MINUTES} min, camera kill every ${KILL_EVERY_S} s, redeploy every ${REDEPLOY_EVERY_S} s, MALLOC_ARENA_MAX ${process.env.MALLOC_ARENA_MAX ?? 'unset'}`);
  while (Date.now() - started < MINUTES * 60000) {
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_S * 1000));
    const t = Math.round((Date.now() - started) / 1000);
    const happened = [];
    if (Date.now() - lastDetection > RECOVERY_S * 1000 && Date.now() - lastDisruption > RECOVERY_S * 1000) {
      stalls.push(t);
      happened.push('STALLED');
    }
    if (t >= nextKill) {
      nextKill += KILL_EVERY_S;
      kills++;
      if (kills % 3 === 0) {
        publisher.kill('SIGKILL');
        republish = setTimeout(() => { publisher = publish(url); }, 5000);
        happened.push('stream away for 5 s');
      } else {
        const camera = childProcesses().filter((p) => p.state !== 'Z' && / -i rtsp:/.test(p.args) && p.args.includes(`:${relay.port}/soak`) && p.pid !== publisher.pid);
        for (const p of camera) process.kill(p.pid, 'SIGKILL');
        happened.push(`killed the camera's ffmpeg (${camera.length})`);
      }
      lastDisruption = Date.now();
    }
    if (t >= nextRedeploy) {
      nextRedeploy += REDEPLOY_EVERY_S;
      await helper.unload();
      await deploy();
      happened.push('redeployed');
      lastDisruption = Date.now();
    }
    const memory = process.memoryUsage();
    const rate = (id) => Math.round(((counts[id] - previous[id]) / SAMPLE_S) * 10) / 10;
    const sample = {
      t, rssMB: mb(memory.rss), heapMB: mb(memory.heapUsed), fds: openFds(), children: childProcesses().filter((p) => p.state !== 'Z' && p.pid !== publisher.pid).length, threads: threadCount(),
      loopP50: Math.round(loop.percentile(50) / 1e4) / 100, loopP99: Math.round(loop.percentile(99) / 1e4) / 100, loopMax: Math.round(loop.max / 1e4) / 100,
      detectFps: rate('detected'), classifyFps: rate('classified'), drawnFps: rate('drawn'), events: counts.events - previous.events, errors: counts.caught - previous.caught, happened,
    };
    loop.reset();
    previous = { ...counts };
    samples.push(sample);
    disruptions.push(...happened.map((what) => ({ t, what })));
    console.log(`t=${String(t).padStart(5)} s  rss ${sample.rssMB.toFixed(1).padStart(6)} MB  heap ${sample.heapMB.toFixed(1).padStart(5)} MB  fds ${sample.fds}  children ${sample.children}  threads ${sample.threads}`
      + `  loop p50/p99/max ${sample.loopP50}/${sample.loopP99}/${sample.loopMax} ms  detect ${sample.detectFps} fps  classify ${sample.classifyFps} fps  events ${sample.events}  errors ${sample.errors}${happened.length ? `  | ${happened.join(', ')}` : ''}`);
  }

  await helper.unload();
  clearTimeout(republish);
  publisher.kill('SIGKILL');
  await relay.close();
  // ffmpeg children exit at once, the model checker 2 s after its last check.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const left = {
    children: childProcesses().map((p) => `${p.state === 'Z' ? 'zombie ' : ''}${p.args}`),
    workers: SessionWorker.live, fds: openFds() - baseline.fds, threads: threadCount() - baseline.threads,
  };
  // RSS trend after the first third (start-up, the first redeploys and allocator warm-up).
  const settled = samples.slice(Math.floor(samples.length / 3));
  const rssSlopeMBperMin = settled.length > 2 ? slope(settled.map((s) => [s.t / 60, s.rssMB])) : undefined;
  const summary = {
    mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? 'glibc default',
    minutes: MINUTES, killEverySeconds: KILL_EVERY_S, redeployEverySeconds: REDEPLOY_EVERY_S, counts, errors: Object.fromEntries(errors),
    disruptions: disruptions.length, stalls, left,
    rssMB: { first: samples[0]?.rssMB, last: samples.at(-1)?.rssMB, max: Math.max(...samples.map((s) => s.rssMB)) },
    rssSlopeMBperMin: rssSlopeMBperMin === undefined ? undefined : Math.round(rssSlopeMBperMin * 100) / 100,
    loopP99MaxMs: Math.max(...samples.map((s) => s.loopP99)), loopMaxMs: Math.max(...samples.map((s) => s.loopMax)),
  };
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ summary, samples }, null, 2));
  console.log(JSON.stringify(summary));
  console.log(`written to ${path.relative(process.cwd(), file)}`);
  // File descriptors and threads: libuv's pool and onnxruntime's allocator may keep a few.
  const leaked = left.children.length > 0 || left.workers > 0 || left.fds > 4;
  if (stalls.length || leaked) {
    console.error(`soak failed: ${stalls.length ? `stalled at ${stalls.join(', ')} s` : ''}${leaked ? ` left behind ${JSON.stringify(left)}` : ''}`);
    process.exitCode = 1;
  }
}

process.env.EDGE_AI_MODELS ??= models;
main().then(() => process.exit(), (err) => {
  console.error(err);
  process.exit(1);
});
