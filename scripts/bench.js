#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --frames N]`: the whole Node-RED flow (preprocess -> infer)
// against a bare loop of onnxruntime's session.run on the same model, threads and spinning
// setting, in the same process run. Writes bench-results/<time>.json and prints a table.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const ort = require('onnxruntime-node');
const sharp = require('sharp');
const helper = require('node-red-node-test-helper');

const root = path.resolve(__dirname, '..');
const assets = path.resolve(root, '..', 'shared', 'assets');
const quick = process.argv.includes('--quick');
const framesArg = process.argv.indexOf('--frames');
const FRAMES = framesArg > 0 ? Number(process.argv[framesArg + 1]) : quick ? 20 : 60;
const WARMUP = 3;

helper.init(require.resolve('node-red'));
const nodeFiles = ['preprocess', 'model', 'infer'].map((n) => require(path.join(root, 'dist', `edge-ai-${n}.js`)));

const SCENARIOS = [
  { name: 'yolov8n-640 fp32', model: 'detection/yolov8n_640_agpl.onnx', task: 'detection', labels: 'metadata', resize: 'letterbox', normalize: 'unit' },
  { name: 'mobilenetv2 int8 qop', model: 'classification/mobilenet_v2_224_int8_qop.onnx', task: 'classification', labels: 'none', resize: 'crop', normalize: 'signed' },
];
const SOURCES = [
  { name: '640x480', width: 640, height: 480 },
  { name: '1280x720', width: 1280, height: 720 },
];

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (ns) => Math.round(ns / 1e4) / 100;

async function bare(modelPath, threads) {
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
  const input = session.inputMetadata[0];
  const data = new Float32Array(input.shape.reduce((a, b) => a * b, 1)).fill(0.5);
  const feeds = { [input.name]: new ort.Tensor('float32', data, input.shape) };
  for (let i = 0; i < WARMUP; i++) await session.run(feeds);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < FRAMES; i++) await session.run(feeds);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await session.release();
  return { fps: FRAMES / seconds, cpuMsPerFrame: (used.user + used.system) / 1000 / FRAMES };
}

async function flow(scenario, jpeg, threads) {
  const models = path.join(assets, 'models');
  await helper.load(nodeFiles, [
    { id: 'model', type: 'edge-ai-model', path: path.join(models, scenario.model), task: scenario.task, labelsSource: scenario.labels, threads, preResize: scenario.resize, preNormalize: scenario.normalize },
    { id: 'pre', z: 't', type: 'edge-ai-preprocess', settings: 'model', model: 'model', wires: [['infer']] },
    { id: 'infer', z: 't', type: 'edge-ai-infer', model: 'model', mode: 'batch', queueSize: 4, wires: [['out']] },
    { id: 'out', z: 't', type: 'helper' },
  ]);
  const pre = helper.getNode('pre');
  const out = helper.getNode('out');
  const total = WARMUP + FRAMES;
  const latencies = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  let cpu;
  let started;
  let sent = 0;
  const send = () => { sent++; pre.receive({ payload: jpeg, sentAt: performance.now() }); };
  await new Promise((resolve) => {
    let received = 0;
    out.on('input', (msg) => {
      received++;
      if (received === WARMUP) {
        cpu = process.cpuUsage();
        started = performance.now();
        loop.enable();
      } else if (received > WARMUP) {
        latencies.push(performance.now() - msg.sentAt);
      }
      if (received === total) return resolve();
      if (sent < total) send();
    });
    // Two frames in the pipeline: one runs while the next is decoded and waits.
    send();
    send();
  });
  const seconds = (performance.now() - started) / 1000;
  loop.disable();
  const used = process.cpuUsage(cpu);
  await helper.unload();
  latencies.sort((a, b) => a - b);
  return {
    fps: FRAMES / seconds,
    cpuMsPerFrame: (used.user + used.system) / 1000 / FRAMES,
    latencyMs: { p50: Math.round(percentile(latencies, 50) * 10) / 10, p95: Math.round(percentile(latencies, 95) * 10) / 10 },
    eventLoopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
  };
}

async function main() {
  const photo = path.join(assets, 'media', 'images', 'kite_and_cold.jpg');
  const results = [];
  const threads = 1;
  for (const scenario of SCENARIOS) {
    for (const source of SOURCES) {
      const jpeg = await sharp(photo).resize(source.width, source.height, { fit: 'fill' }).jpeg({ quality: 85 }).toBuffer();
      const baseline = await bare(path.join(assets, 'models', scenario.model), threads);
      const whole = await flow(scenario, jpeg, threads);
      const row = { scenario: scenario.name, source: source.name, threads, frames: FRAMES, bare: baseline, flow: whole, ratio: Math.round((whole.fps / baseline.fps) * 1000) / 1000 };
      results.push(row);
      console.log(`${row.scenario.padEnd(22)} ${row.source.padEnd(9)} bare ${baseline.fps.toFixed(2).padStart(6)} fps  flow ${whole.fps.toFixed(2).padStart(6)} fps  ratio ${row.ratio.toFixed(3)}  ` +
        `loop p99 ${whole.eventLoopDelayMs.p99} ms max ${whole.eventLoopDelayMs.max} ms  latency p50 ${whole.latencyMs.p50} ms  cpu/frame bare ${baseline.cpuMsPerFrame.toFixed(1)} flow ${whole.cpuMsPerFrame.toFixed(1)} ms`);
    }
  }
  const outDir = path.join(root, 'bench-results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ node: process.version, onnxruntime: require('onnxruntime-node/package.json').version, quick, results }, null, 2));
  console.log(`results: ${path.relative(root, file)}`);
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
