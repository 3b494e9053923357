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

const lib = (name) => require(path.join(root, 'dist', 'lib', name));
const DECODERS = [
  { name: 'yolov8n-640 fp32', model: 'detection/yolov8n_640_agpl.onnx', photo: 'kite_and_cold.jpg' },
  { name: 'yolox-nano-416 fp32', model: 'detection/yolox_nano_416.onnx', photo: 'kite_and_cold.jpg' },
  { name: 'ultraface-320 fp32', model: 'face/ultraface-version-RFB-320.onnx', photo: 'face.jpg' },
];

/**
 * Decode + NMS on the real output of a real photo, the way the worker does it, timed over many
 * runs next to the model's own session.run on the same input.
 */
async function decodeTimes(entry) {
  const { examineModel } = lib('model/doctor');
  const { readOnnxModelInfo } = lib('model/onnx-metadata');
  const { detectorSetup } = lib('model/describe');
  const { modelPreprocessSettings, preprocessSpecFrom } = lib('model/config');
  const { preprocessImage } = lib('image/preprocess');
  const { decodeDetections } = lib('decode/detectors');
  const modelPath = path.join(assets, 'models', entry.model);
  const onnx = readOnnxModelInfo(fs.readFileSync(modelPath));
  const doctor = examineModel(onnx);
  const p = doctor.preprocess;
  const spec = preprocessSpecFrom(modelPreprocessSettings({}, doctor), { width: p.width, height: p.height, layout: p.layout, type: p.dtype });
  const { tensor, transform } = await preprocessImage(fs.readFileSync(path.join(assets, 'media', 'images', entry.photo)), undefined, spec, true);
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength / 4), tensor.dims) };
  const runs = [];
  let outputs;
  for (let i = 0; i < WARMUP + (quick ? 5 : 20); i++) {
    const started = performance.now();
    outputs = await session.run(feeds);
    if (i >= WARMUP) runs.push(performance.now() - started);
  }
  await session.release();
  const setup = detectorSetup('auto', doctor, onnx.outputs, spec);
  const options = { confidence: 0.25, iou: 0.45, maxDetections: 100, classAgnostic: false };
  // The worker decodes each run's own output; fresh copies keep the in-place YOLOX decode repeatable.
  const copies = Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, { source: t.data, data: new Float32Array(t.data.length), dims: t.dims }]));
  const decode = () => {
    for (const copy of Object.values(copies)) copy.data.set(copy.source);
    return decodeDetections(copies, setup, options, undefined, transform);
  };
  const first = outputs[session.outputNames[0]];
  const times = [];
  let detections = 0;
  for (let i = 0; i < 20 + (quick ? 50 : 300); i++) {
    const started = performance.now();
    detections = decode().length;
    if (i >= 20) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  runs.sort((a, b) => a - b);
  const round = (v) => Math.round(v * 1000) / 1000;
  return {
    decoder: entry.name, photo: entry.photo, candidates: first.dims.join('x'), detections,
    decodeMs: { p50: round(percentile(times, 50)), p95: round(percentile(times, 95)) },
    runMs: { p50: round(percentile(runs, 50)) },
    decodeShareOfRun: round(percentile(times, 50) / percentile(runs, 50)),
  };
}

async function main() {
  const photo = path.join(assets, 'media', 'images', 'kite_and_cold.jpg');
  const results = [];
  const decoding = [];
  for (const entry of DECODERS) {
    const row = await decodeTimes(entry);
    decoding.push(row);
    console.log(`decode ${row.decoder.padEnd(22)} ${row.candidates.padEnd(10)} ${String(row.detections).padStart(3)} found  decode+NMS p50 ${row.decodeMs.p50} ms p95 ${row.decodeMs.p95} ms  run p50 ${row.runMs.p50} ms  (${(row.decodeShareOfRun * 100).toFixed(1)}% of run)`);
  }
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
  fs.writeFileSync(file, JSON.stringify({ node: process.version, onnxruntime: require('onnxruntime-node/package.json').version, quick, decoding, results }, null, 2));
  console.log(`results: ${path.relative(root, file)}`);
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
