#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --seconds N] [-- --only TEXT] [-- --soak MINUTES [--soak-warmup MINUTES]] [-- --parallel-gc]`
//
// Each scenario runs the real Node-RED flow (our nodes in node-red's runtime) and, in the same
// process run, the floor: a bare loop of onnxruntime's session.run on the same model with the
// same thread settings, fed a pre-made tensor. Ratios are taken within the run, because this
// machine is shared and noisy. Also measured: decode + NMS against the model's run, int8 against
// fp32 (speed and agreement; `--only int8-quality` for just the int8 made by edge-ai-model
// quantize, judged on held-out images), and with --soak the RSS of a long run. Writes
// bench-results/<time>.json and prints a table.
'use strict';
// On this 2-core machine V8's parallel GC helpers wait for cores that inference and libvips hold:
// the flows run with --single-threaded-gc (as `npm start` does on 2 cores) unless --parallel-gc.
if (!process.execArgv.includes('--single-threaded-gc') && !process.argv.includes('--parallel-gc')) {
  const run = require('node:child_process').spawnSync(process.execPath, ['--single-threaded-gc', ...process.execArgv, __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}
const fs = require('node:fs');
const path = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const ort = require('onnxruntime-node');
const sharp = require('sharp');
const { helper, loadFlow: loadRunnerFlow, ourNodes } = require('./flow-runner');
const { childProcesses } = require('../test/helpers/processes');
const { percentile, slope } = require('../test/helpers/stats');

const root = path.resolve(__dirname, '..');
// The test assets (models, photos, video), provisioned as npm test does (test/helpers/assets/).
const { assetsDir, ensureProvisioned } = require('../test/helpers/assets/where');
ensureProvisioned();
const assets = assetsDir();
const models = path.join(assets, 'models');
const photos = path.join(assets, 'media', 'images');
const argument = (name) => { const at = process.argv.indexOf(name); return at > 0 ? process.argv[at + 1] : undefined; };
const quick = process.argv.includes('--quick');
/** Each measurement runs this long after its warm-up, and for MIN_FRAMES at least. */
const SECONDS = Number(argument('--seconds') ?? (quick ? 3 : 12));
const WARMUP_SECONDS = quick ? 1.5 : 3;
const MIN_FRAMES = 10;
const ONLY = argument('--only');
const SOAK_MINUTES = Number(argument('--soak') ?? 0);
const SOAK_WARMUP_MINUTES = Number(argument('--soak-warmup') ?? 3);
const WARMUP = 3;
const THREADS = 1;

const nodeFiles = ourNodes(['camera', 'preprocess', 'model', 'infer']);
const loadFlow = (flow) => loadRunnerFlow(nodeFiles, flow);

/** Files under the assets' models folder, or absolute paths (the variants made by makeVariants). */
const MODELS = {
  'mobilenetv2 fp32': { file: 'classification/mobilenet_v2_224_fp32.onnx', labels: 'none' },
  'mobilenetv2 int8 qdq': { file: 'classification/mobilenet_v2_224_int8_qdq.onnx', labels: 'none' },
  'mobilenetv2 int8 qop': { file: 'classification/mobilenet_v2_224_int8_qop.onnx', labels: 'none' },
  'yolox-nano fp32': { file: 'detection/yolox_nano_416.onnx', labels: 'file', labelsFile: 'detection/coco_classes.txt' },
  'yolox-nano int8 qdq': { file: 'detection/yolox_nano_416_int8_qdq.onnx', labels: 'file', labelsFile: 'detection/coco_classes.txt' },
  'yolov8n-640 fp32': { file: 'detection/yolov8n_640_agpl.onnx', labels: 'auto' },
  'yolov8n-640 int8': { made: 'yolov8n_640_int8.onnx', labels: 'auto' },
  'yolov8n-320 fp32': { made: 'yolov8n_320.onnx', labels: 'auto' },
  'yolov8n-320 int8': { made: 'yolov8n_320_int8.onnx', labels: 'auto' },
  // TensorFlow Lite files, imported to ONNX by the model node (labels and task from the file where it says).
  'coral mobilenetv2 uint8 tflite': { file: 'tflite/coral-mobilenet_v2_1.0_224_quant.tflite', labels: 'auto' },
  'movenet lightning int8 tflite': { file: 'tflite/coral-movenet_single_pose_lightning_ptq.tflite', labels: 'auto' },
  'yolox-nano int8 tflite': { file: 'tflite/yolox_nano_int8_quantize.tflite', labels: 'file', labelsFile: 'detection/coco_classes.txt' },
};
const modelPath = (name) => path.resolve(models, MODELS[name].file);

/**
 * The YOLOv8n variants the assets do not have, made here with our own tools the way a user makes
 * them (`edge-ai-model resize` / `quantize`): 320x320 from the 640 export, and int8 (U8S8 QDQ,
 * per-channel weights) of both, calibrated on eight frames of the sample video.
 */
function makeVariants() {
  const { execFileSync } = require('node:child_process');
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'edge-ai-bench-models-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const frames = path.join(dir, 'frames');
  fs.mkdirSync(frames);
  execFileSync('ffmpeg', ['-loglevel', 'error', '-i', path.join(assets, 'media', 'video', 'vtest_h264.mp4'), '-vf', 'fps=0.1', '-q:v', '3', path.join(frames, 'f%02d.jpg')]);
  const cli = (...args) => console.log(execFileSync(process.execPath, [path.join(root, 'bin', 'edge-ai-model.js'), ...args], { encoding: 'utf8' }).trim());
  const yolov8n = path.join(models, 'detection', 'yolov8n_640_agpl.onnx');
  cli('resize', yolov8n, '--size', '320', '--out', path.join(dir, 'yolov8n_320.onnx'));
  // Plain min-max int8 for the flow scenarios; the int8 section makes and judges the searched ones.
  cli('quantize', yolov8n, '--images', frames, '--out', path.join(dir, 'yolov8n_640_int8.onnx'), '--method', 'min-max', '--no-mixed', '--quiet');
  cli('quantize', path.join(dir, 'yolov8n_320.onnx'), '--images', frames, '--out', path.join(dir, 'yolov8n_320_int8.onnx'), '--method', 'min-max', '--no-mixed', '--quiet');
  for (const entry of Object.values(MODELS)) if (entry.made) entry.file = path.join(dir, entry.made);
  console.log();
}
const JPEG_SOURCES = [{ name: 'jpeg 640x480', width: 640, height: 480 }, { name: 'jpeg 1280x720', width: 1280, height: 720 }];
/** The sample video through ffmpeg (the camera node), 30 fps, as JPEG or as raw RGB frames. */
const VIDEO_SOURCES = [
  { name: 'video jpeg 30fps', camera: { source: 'video', path: path.join(assets, 'media', 'video', 'vtest_10s_640x480_h264.mp4'), fps: 30 } },
  { name: 'video rgb 30fps', camera: { source: 'video', path: path.join(assets, 'media', 'video', 'vtest_10s_640x480_h264.mp4'), fps: 30, output: 'rgb', width: 640, height: 480 } },
];
const SCENARIOS = [
  ...Object.keys(MODELS).flatMap((model) => JPEG_SOURCES.map((source) => ({ model, source }))),
  ...(quick ? ['yolox-nano fp32'] : ['yolox-nano fp32', 'yolov8n-640 fp32', 'yolov8n-320 int8', 'mobilenetv2 int8 qop'])
    .flatMap((model) => VIDEO_SOURCES.map((source) => ({ model, source }))),
].filter((s) => !ONLY || `${s.model} ${s.source.name}`.includes(ONLY));

const round = (v, places = 2) => Math.round(v * 10 ** places) / 10 ** places;
const nsToMs = (ns) => round(ns / 1e6);
const mb = (bytes) => round(bytes / 1048576, 1);
const cpuMs = (used) => (used.user + used.system) / 1000;

function sessionOptions() {
  return {
    intraOpNumThreads: THREADS, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

/**
 * The floor: session.run in a loop on a pre-made tensor, nothing else. `model`: file under the
 * assets' models (a .tflite file is imported first, as the model node does), or bytes.
 */
async function bare(model) {
  const file = typeof model === 'string' ? path.resolve(models, model) : undefined;
  const { importTflite } = require('../dist/lib/tflite');
  const source = file?.endsWith('.tflite') ? (await importTflite(fs.readFileSync(file))).onnx : file ?? model;
  const session = await ort.InferenceSession.create(source, sessionOptions());
  // A tensor input (the metadata's other kind has no shape).
  const input = /** @type {import('onnxruntime-node').InferenceSession.TensorValueMetadata} */ (session.inputMetadata[0]);
  const size = input.shape.reduce((a, b) => a * b, 1);
  const feeds = { [input.name]: input.type === 'uint8' ? new ort.Tensor('uint8', new Uint8Array(size).fill(128), input.shape) : new ort.Tensor('float32', new Float32Array(size).fill(0.5), input.shape) };
  const warm = performance.now();
  while (performance.now() - warm < WARMUP_SECONDS * 1000) await session.run(feeds);
  const cpu = process.cpuUsage();
  const started = performance.now();
  let frames = 0;
  while (frames < MIN_FRAMES || performance.now() - started < SECONDS * 1000) {
    await session.run(feeds);
    frames++;
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await session.release();
  return { fps: round(frames / seconds), cpuMsPerFrame: round(cpuMs(used) / frames), frames };
}

/**
 * CPU of the source decode alone (sharp: decode, resize, letterbox, as the preprocess node does
 * it for this model), per frame: the part of the flow's CPU that is the JPEG, not the pipeline.
 */
async function decodeCpuMs(modelName, jpeg) {
  const { preprocessImage } = require('../dist/lib/image');
  const { spec } = await preparedInput(modelPath(modelName), 'kite_and_cold.jpg');
  for (let i = 0; i < 5; i++) await preprocessImage(jpeg, undefined, spec, false);
  const cpu = process.cpuUsage();
  const frames = 40;
  for (let i = 0; i < frames; i++) await preprocessImage(jpeg, undefined, spec, false);
  return round(cpuMs(process.cpuUsage(cpu)) / frames);
}

/** The floor measured before and after the flow, averaged, so drift on a shared machine evens out. */
async function floor(modelFile, between) {
  const before = await bare(modelFile);
  const result = await between();
  const after = await bare(modelFile);
  return { bare: { fps: round((before.fps + after.fps) / 2), cpuMsPerFrame: round((before.cpuMsPerFrame + after.cpuMsPerFrame) / 2), before: before.fps, after: after.fps }, flow: result };
}

/** CPU milliseconds used so far by this process's child processes (the camera's ffmpeg). */
const childrenCpuMs = () => childProcesses().reduce((sum, child) => sum + child.cpuMs, 0);

// A flow without its tab node runs, but at twice the CPU per message: always give it one.
const TAB = { id: 't', type: 'tab', label: 'bench' };

function modelNode(name) {
  const m = MODELS[name];
  return { id: 'model', type: 'edge-ai-model', path: modelPath(name), labelsSource: m.labels, labelsFile: m.labelsFile && path.join(models, m.labelsFile), threads: THREADS };
}

/**
 * The whole flow, flat out. JPEG sources: frames handed to the preprocess node in memory, three
 * in flight. Video sources: the camera node's ffmpeg at 30 fps
 * into an infer node in live mode, which drops what it cannot keep up with.
 */
async function flow(scenario, jpeg) {
  const video = scenario.source.camera;
  await loadFlow([
    TAB,
    modelNode(scenario.model),
    ...(video ? [{ id: 'cam', z: 't', type: 'edge-ai-camera', mode: 'continuous', ...video, wires: [['pre']] }] : []),
    { id: 'pre', z: 't', type: 'edge-ai-preprocess', settings: 'model', model: 'model', wires: [['infer']] },
    { id: 'infer', z: 't', type: 'edge-ai-infer', model: 'model', mode: video ? 'live' : 'batch', queueSize: 4, wires: [['out']] },
    { id: 'out', z: 't', type: 'helper' },
    { id: 'catcher', z: 't', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 't', type: 'helper' },
  ]);
  // A flow that fails must stop the bench with the reason, not wait for results forever.
  const failed = new Promise((resolve, reject) => helper.getNode('caught').on('input', (msg) => reject(new Error(`${scenario.model}: ${msg.error.message}`))));
  const pre = helper.getNode('pre');
  const out = helper.getNode('out');
  const latencies = [];
  const runs = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const loaded = performance.now();
  let measuring = false;
  let cpu;
  let childCpu;
  let started;
  let rssStart;
  let droppedAtStart = 0;
  let dropped = 0;
  let frames = 0;
  const send = () => pre.receive({ payload: jpeg, frame: { time: Date.now(), format: 'jpeg' } });
  await Promise.race([failed, new Promise((resolve) => {
    out.on('input', (msg) => {
      const now = performance.now();
      if (!measuring && now - loaded >= WARMUP_SECONDS * 1000) {
        measuring = true;
        cpu = process.cpuUsage();
        childCpu = childrenCpuMs();
        started = now;
        rssStart = process.memoryUsage().rss;
        droppedAtStart = msg.inference.dropped;
        loop.enable();
      } else if (measuring) {
        frames++;
        latencies.push(Date.now() - msg.frame.time);
        runs.push(msg.inference.runMs);
        dropped = msg.inference.dropped - droppedAtStart;
        if (frames >= MIN_FRAMES && now - started >= SECONDS * 1000) return resolve();
      }
      if (!video) send();
    });
    // Three in flight: one runs, one waits in the worker, one is being decoded.
    if (!video) for (let i = 0; i < 3; i++) send();
  })]);
  const seconds = (performance.now() - started) / 1000;
  loop.disable();
  const used = process.cpuUsage(cpu);
  const childUsed = childrenCpuMs() - childCpu;
  const rssEnd = process.memoryUsage().rss;
  await helper.unload();
  return {
    frames,
    fps: round(frames / seconds),
    cpuMsPerFrame: round(cpuMs(used) / frames),
    ...(video ? { ffmpegCpuMsPerFrame: round(childUsed / frames) } : {}),
    runMsMean: round(runs.reduce((a, b) => a + b, 0) / runs.length),
    latencyMs: { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95) },
    eventLoopDelayMs: { p50: nsToMs(loop.percentile(50)), p99: nsToMs(loop.percentile(99)), max: nsToMs(loop.max) },
    rssMB: { start: mb(rssStart), end: mb(rssEnd) },
    dropped,
  };
}

const DECODERS = [
  { name: 'yolov8n-640 fp32', model: 'detection/yolov8n_640_agpl.onnx', photo: 'kite_and_cold.jpg' },
  { name: 'yolox-nano-416 fp32', model: 'detection/yolox_nano_416.onnx', photo: 'kite_and_cold.jpg' },
  { name: 'ultraface-320 fp32', model: 'face/ultraface-version-RFB-320.onnx', photo: 'face.jpg' },
];

/** A photo preprocessed the way the model doctor proposes, ready for session.run. */
async function preparedInput(modelPath, photo) {
  const { examineModel } = require('../dist/lib/model');
  const { readOnnxModelInfo } = require('../dist/lib/onnx');
  const { modelPreprocessSpec } = require('../dist/lib/model');
  const { preprocessImage } = require('../dist/lib/image');
  const { importTflite } = require('../dist/lib/tflite');
  const bytes = fs.readFileSync(modelPath);
  const onnx = readOnnxModelInfo(modelPath.endsWith('.tflite') ? (await importTflite(bytes)).onnx : bytes);
  const doctor = examineModel(onnx);
  const p = doctor.preprocess;
  const spec = modelPreprocessSpec({}, { doctor, input: { width: p.width, height: p.height, layout: p.layout, type: p.dtype } });
  const { tensor, transform } = await preprocessImage(fs.readFileSync(path.join(photos, photo)), undefined, spec, true);
  const data = tensor.type === 'uint8' ? new Uint8Array(tensor.data) : new Float32Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength / 4);
  return { onnx, doctor, spec, transform, tensor: new ort.Tensor(tensor.type === 'uint8' ? 'uint8' : 'float32', data, tensor.dims) };
}

/**
 * Decode + NMS on the real output of a real photo, the way the worker does it, timed over many
 * runs next to the model's own session.run on the same input.
 */
async function decodeTimes(entry) {
  const { detectorSetup } = require('../dist/lib/model');
  const { decodeDetections } = require('../dist/lib/decode');
  const modelPath = path.join(models, entry.model);
  const { onnx, doctor, spec, transform, tensor } = await preparedInput(modelPath, entry.photo);
  const session = await ort.InferenceSession.create(modelPath, sessionOptions());
  const feeds = { [session.inputNames[0]]: tensor };
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
  return {
    decoder: entry.name, photo: entry.photo, candidates: first.dims.join('x'), detections,
    decodeMs: { p50: round(percentile(times, 0.5), 3), p95: round(percentile(times, 0.95), 3) },
    runMs: { p50: round(percentile(runs, 0.5), 3) },
    decodeShareOfRun: round(percentile(times, 0.5) / percentile(runs, 0.5), 3),
  };
}

/** What a model says about every photo: top-1 for classifiers, detections for detectors. */
async function answers(modelFile) {
  const { detectorSetup } = require('../dist/lib/model');
  const { decodeDetections, toProbabilities } = require('../dist/lib/decode');
  const file = path.resolve(models, modelFile);
  const session = await ort.InferenceSession.create(file, sessionOptions());
  const result = {};
  for (const photo of fs.readdirSync(photos).filter((f) => /\.(jpe?g|png|bmp)$/i.test(f)).sort()) {
    const { onnx, doctor, spec, transform, tensor } = await preparedInput(file, photo);
    const outputs = await session.run({ [session.inputNames[0]]: tensor });
    if (doctor.task === 'classification') {
      const scores = toProbabilities(outputs[session.outputNames[0]].data);
      result[photo] = scores.indexOf(Math.max(...scores));
    } else {
      const copies = Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, { data: Float32Array.from(t.data), dims: t.dims }]));
      // Everything down to 0.25; the comparison picks its thresholds.
      const options = { confidence: 0.25, iou: 0.45, maxDetections: 100, classAgnostic: false };
      result[photo] = decodeDetections(copies, detectorSetup('auto', doctor, onnx.outputs, spec), options, undefined, transform);
    }
  }
  await session.release();
  return result;
}

/**
 * Signed-activation (S8S8) int8 models, made here from the U8S8 assets, bare as they are and as
 * the model node runs them on x86 with VNNI (activations made unsigned); the rewrite is exact.
 */
async function signedInt8(name) {
  const { signedActivations, unsignedActivations, unsignedActivationsPayOff } = require('../dist/lib/model');
  const signed = signedActivations(fs.readFileSync(path.join(models, MODELS[name].file)));
  const unsigned = unsignedActivations(signed.bytes).bytes;
  const runs = [];
  for (let i = 0; i < 2; i++) runs.push([await bare(signed.bytes), await bare(unsigned)]);
  const fps = (k) => round((runs[0][k].fps + runs[1][k].fps) / 2);
  return { model: name.replace('qdq', 's8s8'), zeroPoints: signed.zeroPoints, signedFps: fps(0), unsignedFps: fps(1), speedup: round(fps(1) / fps(0)), rewrittenByModelNodeHere: unsignedActivationsPayOff() };
}

/** int8 against fp32: bare speed in the same run, and whether the answers agree. */
async function quantization(fp32, int8) {
  const { iou } = require('../dist/lib/decode');
  // Interleaved, twice each, so drift on a shared machine hits both alike.
  const runs = [];
  for (let i = 0; i < 2; i++) runs.push([await bare(MODELS[int8].file), await bare(MODELS[fp32].file)]);
  const fast = { fps: round((runs[0][0].fps + runs[1][0].fps) / 2) };
  const slow = { fps: round((runs[0][1].fps + runs[1][1].fps) / 2) };
  const [reference, quantized] = [await answers(MODELS[fp32].file), await answers(MODELS[int8].file)];
  const photoNames = Object.keys(reference);
  let agreement;
  if (typeof reference[photoNames[0]] === 'number') {
    const same = photoNames.filter((p) => reference[p] === quantized[p]).length;
    agreement = { measure: 'same top-1 class', agreed: same, of: photoNames.length };
  } else {
    // fp32 detections (score >= 0.5) that int8 finds too (same class, IoU > 0.5): at 0.5, and at
    // 0.25 (an object kept with a lower score rather than lost); and int8's own at 0.5 that fp32
    // has nowhere above 0.25.
    const sure = (list) => list.filter((d) => d.score >= 0.5);
    const same = (a, b) => a.classId === b.classId && iou(a.box, b.box) > 0.5;
    const wanted = photoNames.flatMap((p) => sure(reference[p]).map((d) => ({ photo: p, d })));
    const found = wanted.filter(({ photo, d }) => sure(quantized[photo]).some((q) => same(q, d))).length;
    const foundLower = wanted.filter(({ photo, d }) => quantized[photo].some((q) => same(q, d))).length;
    const extra = photoNames.flatMap((p) => sure(quantized[p]).filter((q) => !reference[p].some((d) => same(q, d)))).length;
    agreement = {
      measure: 'fp32 detections (score >= 0.5) int8 also finds (same class, IoU > 0.5)', agreed: found, of: wanted.length, agreedAtQuarter: foundLower, int8Extra: extra,
    };
  }
  return { fp32, int8, fp32Fps: slow.fps, int8Fps: fast.fps, speedup: round(fast.fps / slow.fps), agreement };
}

/**
 * int8 made here the way a user makes it (`edge-ai-model quantize`: the method chosen on the
 * calibration images, the most sensitive nodes kept float until they agree), then judged on
 * held-out images the calibration never saw (scripts/int8-sets.js says which): agreement with
 * fp32 as the shadow check measures it, bare speed-up in the same run (1 thread, interleaved),
 * size. onnxruntime's own int8 files in the assets are judged on the same images.
 */
async function int8Quality() {
  const { searchInt8 } = require('../dist/lib/tools');
  const { shadowCheck, describeAgreement } = require('../dist/lib/int8');
  const { makeInt8Sets } = require('./int8-sets');
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'edge-ai-bench-int8-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const sets = makeInt8Sets(dir);
  const list = (d) => fs.readdirSync(d).sort().map((f) => path.join(d, f));
  const [calibration, heldOut] = [list(sets.calibration), list(sets.heldOut)];
  const cases = [
    { model: 'mobilenetv2', fp32: 'mobilenetv2 fp32', onnxruntime: 'mobilenetv2 int8 qdq' },
    { model: 'yolov8n-640', fp32: 'yolov8n-640 fp32' },
    { model: 'yolov8n-320', fp32: 'yolov8n-320 fp32' },
    { model: 'yolox-nano', fp32: 'yolox-nano fp32', onnxruntime: 'yolox-nano int8 qdq' },
  ].filter((c) => !ONLY || `int8-quality ${c.model}`.includes(ONLY));
  const speedup = async (int8, fp32) => {
    const runs = [];
    for (let i = 0; i < 2; i++) runs.push([await bare(int8), await bare(fp32)]);
    return round((runs[0][0].fps + runs[1][0].fps) / (runs[0][1].fps + runs[1][1].fps));
  };
  const rows = [];
  for (const c of cases) {
    const fp32File = modelPath(c.fp32);
    const fp32 = fs.readFileSync(fp32File);
    const search = await searchInt8(fp32, calibration, {});
    const check = await shadowCheck(fp32, search.report.bytes, heldOut, { timedRuns: 5 });
    rows.push({
      model: c.model, made: 'here', method: search.method, methodsTried: search.methods, float: search.float, calibrationAgreement: search.agreement, targetMet: search.met,
      searchSeconds: round(search.seconds, 1), heldOut: check.agreement, heldOutText: describeAgreement(check.agreement), sizeRatio: round(check.sizeRatio, 3),
      speedup: await speedup(search.report.bytes, fp32File),
    });
    if (c.onnxruntime) {
      const file = modelPath(c.onnxruntime);
      const theirs = await shadowCheck(fp32, fs.readFileSync(file), heldOut, { timedRuns: 5 });
      rows.push({ model: c.model, made: `onnxruntime (${MODELS[c.onnxruntime].file})`, heldOut: theirs.agreement, heldOutText: describeAgreement(theirs.agreement), sizeRatio: round(theirs.sizeRatio, 3), speedup: await speedup(file, fp32File) });
    }
    process.stdout.write('.');
  }
  return { calibrationImages: sets.calibrationImages, heldOutImages: sets.heldOutImages, rows };
}

/**
 * RSS of a long YOLOX-nano flow, sampled every 10 s after a warm-up (3 minutes: measured here,
 * RSS grows for 2-4 minutes while V8's heap and the allocator's arenas reach their working size,
 * then stays flat).
 */
async function soak(minutes, jpeg) {
  await loadFlow([
    TAB,
    modelNode('yolox-nano fp32'),
    { id: 'pre', z: 't', type: 'edge-ai-preprocess', settings: 'model', model: 'model', wires: [['infer']] },
    { id: 'infer', z: 't', type: 'edge-ai-infer', model: 'model', mode: 'batch', wires: [['out']] },
    { id: 'out', z: 't', type: 'helper' },
    { id: 'catcher', z: 't', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 't', type: 'helper' },
  ]);
  // A flow that fails must stop the bench with the reason, not wait for results forever.
  const failed = new Promise((resolve, reject) => helper.getNode('caught').on('input', (msg) => reject(new Error(`${scenario.model}: ${msg.error.message}`))));
  const pre = helper.getNode('pre');
  let frames = 0;
  let running = true;
  helper.getNode('out').on('input', () => { frames++; if (running) pre.receive({ payload: jpeg }); });
  pre.receive({ payload: jpeg });
  pre.receive({ payload: jpeg });
  const samples = [];
  const warmupMs = SOAK_WARMUP_MINUTES * 60000;
  const started = Date.now();
  while (Date.now() - started < warmupMs + minutes * 60000) {
    await new Promise((resolve) => setTimeout(resolve, 10000));
    if (Date.now() - started >= warmupMs) samples.push({ s: Math.round((Date.now() - started) / 1000), rssMB: mb(process.memoryUsage().rss), frames });
  }
  running = false;
  await new Promise((resolve) => setTimeout(resolve, 500));
  await helper.unload();
  const first = samples[0];
  const last = samples[samples.length - 1];
  const rssSlope = slope(samples.map((x) => [x.s, x.rssMB]));
  // First and last minute's means: one high or low sample (a GC cycle) does not decide it either.
  const minuteMean = (list) => list.reduce((a, x) => a + x.rssMB, 0) / list.length;
  const firstMinute = minuteMean(samples.slice(0, 6));
  const lastMinute = minuteMean(samples.slice(-6));
  return {
    minutes, warmupMinutes: SOAK_WARMUP_MINUTES, frames,
    rssMB: {
      afterWarmup: first.rssMB, end: last.rssMB, growth: round(last.rssMB - first.rssMB, 1), max: Math.max(...samples.map((x) => x.rssMB)),
      slopePerMinute: round(rssSlope * 60, 2), firstMinuteMean: round(firstMinute, 1), lastMinuteMean: round(lastMinute, 1), minuteMeansGrowth: round(lastMinute - firstMinute, 1),
    },
    samples,
  };
}

function table(rows, columns) {
  const widths = columns.map(([title, get]) => Math.max(title.length, ...rows.map((r) => String(get(r)).length)));
  const line = (cells) => cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
  console.log(line(columns.map(([title]) => title)));
  for (const r of rows) console.log(line(columns.map(([, get]) => get(r))));
  console.log();
}

/**
 * The trigger's worst frames: `count` overlapping person boxes a frame (what an infer node with
 * its threshold at 0 could send) into a trigger node with a zone, through Node-RED. Per frame:
 * the time from the msg in to the frame out on output 2; the heap it leaves; the event loop's
 * delay meanwhile, as another flow on the same Node-RED would feel it.
 */
async function triggerFlood(count, frames = 30) {
  await loadRunnerFlow(ourNodes(['trigger']), [
    { id: 'trigger', type: 'edge-ai-trigger', labels: 'person', hold: 0, confirmFrames: 1, z: 'bench',
      zones: [{ name: 'all', points: [[0, 0], [1, 0], [1, 1], [0, 1]] }], wires: [['events'], ['frames']] },
    { id: 'events', type: 'helper', z: 'bench' },
    { id: 'frames', type: 'helper', z: 'bench' },
    { id: 'bench', type: 'tab' },
  ]);
  const boxes = (f) => Array.from({ length: count }, (_, i) => ({ label: 'person', classId: 0, score: 0.5 + (i % 50) / 100, box: { x: 300 + (i % 7) + f, y: 200 + (i % 5), w: 40, h: 80 } }));
  const trigger = helper.getNode('trigger');
  const out = helper.getNode('frames');
  let events = 0;
  helper.getNode('events').on('input', () => events++);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  const times = [];
  loop.enable();
  for (let f = 0; f < frames; f++) {
    const payload = boxes(f);
    const started = performance.now();
    await new Promise((resolve) => {
      out.once('input', resolve);
      trigger.receive({ payload, frame: { width: 640, height: 480, time: 1e6 + f * 100 } });
    });
    times.push(performance.now() - started);
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    await new Promise((r) => setTimeout(r, 20));
  }
  loop.disable();
  await helper.unload();
  const nsToMs = (ns) => round(ns / 1e6, 1);
  return {
    detections: count, frames, events,
    frameMs: { p50: round(percentile(times, 0.5), 1), max: round(Math.max(...times), 1) },
    heapGrowthMB: round((heapPeak - heapBefore) / 1e6, 1),
    eventLoopDelayMs: { p50: nsToMs(loop.percentile(50)), p99: nsToMs(loop.percentile(99)), max: nsToMs(loop.max) },
  };
}

/**
 * Each TFLite asset: how long the import takes, and its bare speed; the Coral MobileNetV2 beside
 * the ONNX int8 MobileNetV2 of the same architecture, measured in the same run.
 */
async function tfliteImports() {
  const { importTflite } = require('../dist/lib/tflite');
  const rows = [];
  const cases = [['coral mobilenetv2 uint8 tflite', 'mobilenetv2 int8 qdq'], ['coral mobilenetv2 uint8 tflite', 'mobilenetv2 int8 qdq', true], ['movenet lightning int8 tflite'], ['yolox-nano int8 tflite']];
  for (const [name, onnx, symmetricWeights] of cases) {
    const bytes = fs.readFileSync(modelPath(name));
    const started = performance.now();
    const imported = await importTflite(bytes, { symmetricWeights });
    const importMs = round(performance.now() - started, 0);
    const { fps } = await bare(imported.onnx);
    const other = onnx ? await bare(MODELS[onnx].file) : undefined;
    rows.push({
      file: `${path.basename(MODELS[name].file)}${symmetricWeights ? ` (symmetric weights, ${imported.requantizedChannels} channels requantized)` : ''}`,
      operators: imported.model.operators.length, importMs, fps, onnx, onnxFps: other?.fps, ratio: other && round(fps / other.fps, 2),
    });
  }
  return rows;
}

async function main() {
  makeVariants();
  const photo = path.join(photos, 'kite_and_cold.jpg');
  const jpegs = {};
  for (const source of JPEG_SOURCES) jpegs[source.name] = await sharp(photo).resize(source.width, source.height, { fit: 'fill' }).jpeg({ quality: 85 }).toBuffer();

  const decoding = [];
  if (!ONLY) for (const entry of DECODERS) decoding.push(await decodeTimes(entry));
  if (decoding.length) {
    console.log('Decode + NMS per frame, against the model\'s own run (same input)');
    table(decoding, [['decoder', (r) => r.decoder], ['output', (r) => r.candidates], ['found', (r) => r.detections], ['decode p50 ms', (r) => r.decodeMs.p50],
      ['p95 ms', (r) => r.decodeMs.p95], ['run p50 ms', (r) => r.runMs.p50], ['share', (r) => `${(r.decodeShareOfRun * 100).toFixed(1)}%`]]);
  }

  const flood = [];
  if (!ONLY || /trigger/.test(ONLY)) for (const count of [1000, 10000]) flood.push(await triggerFlood(count));
  if (flood.length) {
    console.log('Trigger with a zone under a flood of overlapping detections (Node-RED runtime, 30 frames 20 ms apart)');
    table(flood, [['detections', (r) => r.detections], ['frame p50 ms', (r) => r.frameMs.p50], ['max ms', (r) => r.frameMs.max], ['events', (r) => r.events],
      ['heap growth MB', (r) => r.heapGrowthMB], ['loop p50/p99/max ms', (r) => `${r.eventLoopDelayMs.p50}/${r.eventLoopDelayMs.p99}/${r.eventLoopDelayMs.max}`]]);
  }

  const results = [];
  for (const scenario of SCENARIOS) {
    const { bare: baseline, flow: whole } = await floor(MODELS[scenario.model].file, () => flow(scenario, jpegs[scenario.source.name]));
    const decodeMs = scenario.source.camera ? undefined : await decodeCpuMs(scenario.model, jpegs[scenario.source.name]);
    results.push({ model: scenario.model, source: scenario.source.name, threads: THREADS, bare: baseline, flow: whole, ratio: round(whole.fps / baseline.fps, 3), sourceDecodeCpuMsPerFrame: decodeMs });
    process.stdout.write('.');
  }
  console.log(`\nWhole flow against bare session.run (${SECONDS} s each after ${WARMUP_SECONDS} s warm-up, bare before and after averaged, ${THREADS} inference thread, spinning off)`);
  console.log('Video sources are paced by the camera (30 fps asked, the file plays at its own rate): their ratio is not a speed figure; their CPU is.');
  table(results, [['model', (r) => r.model], ['source', (r) => r.source], ['bare fps', (r) => r.bare.fps], ['flow fps', (r) => r.flow.fps], ['ratio', (r) => r.ratio.toFixed(3)],
    ['run ms', (r) => r.flow.runMsMean], ['latency p50/p95 ms', (r) => `${r.flow.latencyMs.p50}/${r.flow.latencyMs.p95}`],
    ['loop p50/p99/max ms', (r) => `${r.flow.eventLoopDelayMs.p50}/${r.flow.eventLoopDelayMs.p99}/${r.flow.eventLoopDelayMs.max}`],
    ['cpu/frame bare', (r) => r.bare.cpuMsPerFrame], ['flow', (r) => r.flow.cpuMsPerFrame], ['+ms', (r) => round(r.flow.cpuMsPerFrame - r.bare.cpuMsPerFrame, 1)], ['of it decode', (r) => r.sourceDecodeCpuMsPerFrame ?? '-'], ['ffmpeg', (r) => r.flow.ffmpegCpuMsPerFrame ?? '-'],
    ['rss MB', (r) => `${r.flow.rssMB.start}->${r.flow.rssMB.end}`], ['dropped', (r) => r.flow.dropped]]);

  const quantized = [];
  if (!ONLY) {
    for (const [fp32, int8] of [['mobilenetv2 fp32', 'mobilenetv2 int8 qdq'], ['mobilenetv2 fp32', 'mobilenetv2 int8 qop'], ['yolox-nano fp32', 'yolox-nano int8 qdq'],
      ['yolov8n-640 fp32', 'yolov8n-640 int8'], ['yolov8n-320 fp32', 'yolov8n-320 int8']]) {
      quantized.push(await quantization(fp32, int8));
    }
    console.log('int8 against fp32 (bare session.run, same run; answers on every photo in the assets)');
    table(quantized, [['int8', (r) => r.int8], ['fp32 fps', (r) => r.fp32Fps], ['int8 fps', (r) => r.int8Fps], ['speed-up', (r) => `${r.speedup}x`],
      ['agreement', (r) => `${r.agreement.agreed}/${r.agreement.of} ${r.agreement.measure}${r.agreement.int8Extra !== undefined
        ? ` (${r.agreement.agreedAtQuarter} with int8 >= 0.25); ${r.agreement.int8Extra} new at >= 0.5` : ''}`]]);
  }

  const int8 = !ONLY || /int8-quality/.test(ONLY) ? await int8Quality() : undefined;
  if (int8) {
    console.log(`\nint8 made by edge-ai-model quantize, judged on ${int8.heldOutImages} held-out images (calibrated on ${int8.calibrationImages} others; scripts/int8-sets.js); bare speed-up at ${THREADS} thread`);
    table(int8.rows, [['model', (r) => r.model], ['made by', (r) => r.made], ['method', (r) => r.method ?? '-'],
      ['kept float', (r) => (r.float ? (r.float.length ? `${r.float.length}: ${r.float.map((f) => f.node).join(' ')}` : 'none') : '-')],
      ['held-out agreement', (r) => r.heldOutText], ['speed-up', (r) => `${r.speedup}x`], ['size', (r) => `${Math.round(r.sizeRatio * 100)} %`]]);
  }

  const signed = [];
  if (!ONLY) {
    for (const name of ['mobilenetv2 int8 qdq', 'yolox-nano int8 qdq']) signed.push(await signedInt8(name));
    console.log('Signed int8 (S8S8, made from the U8S8 assets) as it is, and with activations made unsigned as the model node loads it');
    table(signed, [['model', (r) => r.model], ['zero points', (r) => r.zeroPoints], ['as is fps', (r) => r.signedFps], ['unsigned fps', (r) => r.unsignedFps],
      ['speed-up', (r) => `${r.speedup}x`], ['done by the model node here', (r) => (r.rewrittenByModelNodeHere ? 'yes (x86 with VNNI)' : 'no')]]);
  }

  const imports = [];
  if (!ONLY || /tflite/.test(ONLY)) imports.push(...await tfliteImports());
  if (imports.length) {
    console.log('TensorFlow Lite files imported to ONNX (bare session.run; the ONNX model of the same architecture in the same run)');
    table(imports, [['file', (r) => r.file], ['operators', (r) => r.operators], ['import ms', (r) => r.importMs], ['bare fps', (r) => r.fps],
      ['same architecture in ONNX', (r) => r.onnx ?? '-'], ['its fps', (r) => r.onnxFps ?? '-'], ['imported / ONNX', (r) => (r.ratio ? `${r.ratio}x` : '-')]]);
  }

  const soaked = SOAK_MINUTES > 0 ? await soak(SOAK_MINUTES, jpegs['jpeg 640x480']) : undefined;
  if (soaked) {
    console.log(`Soak: YOLOX-nano flow for ${soaked.minutes} min after ${soaked.warmupMinutes} min warm-up, ${soaked.frames} frames: RSS ${soaked.rssMB.afterWarmup} -> ${soaked.rssMB.end} MB `
      + `(growth ${soaked.rssMB.growth} MB; first to last minute's mean ${soaked.rssMB.firstMinuteMean} -> ${soaked.rssMB.lastMinuteMean} MB, ${soaked.rssMB.minuteMeansGrowth} MB; max ${soaked.rssMB.max} MB; trend ${soaked.rssMB.slopePerMinute} MB/min)`);
  }

  const outDir = path.join(root, 'bench-results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const environment = { gc: process.execArgv.includes('--single-threaded-gc') ? 'single-threaded' : 'parallel', node: process.version, onnxruntime: require('onnxruntime-node/package.json').version, sharp: require('sharp/package.json').version, cpus: require('node:os').cpus().length };
  fs.writeFileSync(file, JSON.stringify({ ...environment, quick, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, decoding, triggerFlood: flood, results, quantization: quantized, int8Quality: int8, signedInt8: signed, tfliteImports: imports, soak: soaked }, null, 2));
  console.log(`results: ${path.relative(root, file)}`);
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
