'use strict';
// The arm64 smoke suite, run inside the emulated Debian root by scripts/arm64/test.sh with
// Debian's Node 18: starts Node-RED with the package installed the palette manager's way, then
// classifies the five reference photos (MobileNetV2 int8), finds the persons in a frame of the
// sample video read by the camera node through ffmpeg (YOLOX-nano), watches the model checker
// process start and exit, and reads the health endpoint. Plain Node, no dependencies.
// Usage: node smoke.js NODE_RED_DIR USER_DIR RESULT_JSON
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const [nodeRedDir, userDir, resultFile] = process.argv.slice(2);
const PORT = 18800 + Math.floor(Math.random() * 100);
const CHECKER_FLAG = '--edge-ai-model-check';
// Known top-1s of MobileNetV2 (../shared/assets/README.md).
const PHOTOS = { 'grace_hopper.bmp': 'military uniform', 'hot_dog.jpg': 'hotdog', 'parrot.jpg': 'macaw', 'orange.jpg': 'orange', 'cat.bmp': 'Egyptian cat' };
const VIDEO = '${EDGE_AI_MEDIA}/video/vtest_10s_640x480_h264.mp4';

const FLOW = [
  { id: 'tab', type: 'tab', label: 'arm64 smoke' },
  {
    id: 'mobilenet', type: 'edge-ai-model', name: 'MobileNetV2 int8', source: 'file', path: '${EDGE_AI_MODELS}/classification/mobilenet_v2_224_int8_qdq.onnx',
    watch: false, task: 'auto', labelsSource: 'file', labelsFile: '${EDGE_AI_MODELS}/classification/imagenet_labels_1001.txt',
  },
  {
    id: 'yolox', type: 'edge-ai-model', name: 'YOLOX-nano', source: 'file', path: '${EDGE_AI_MODELS}/detection/yolox_nano_416.onnx',
    watch: false, task: 'auto', labelsSource: 'file', labelsFile: '${EDGE_AI_MODELS}/detection/coco_classes.txt',
  },
  { id: 'classify-in', z: 'tab', type: 'http in', url: '/smoke/classify', method: 'get', wires: [['photo-path']] },
  { id: 'photo-path', z: 'tab', type: 'change', rules: [{ t: 'set', p: 'path', pt: 'msg', to: 'req.query.photo', tot: 'msg' }], wires: [['photos']] },
  { id: 'photos', z: 'tab', type: 'edge-ai-camera', name: 'photos', source: 'folder', path: '${EDGE_AI_MEDIA}/images', mode: 'ondemand', msgSource: true, wires: [['classify-pre']] },
  { id: 'classify-pre', z: 'tab', type: 'edge-ai-preprocess', settings: 'model', model: 'mobilenet', wires: [['classify']] },
  { id: 'classify', z: 'tab', type: 'edge-ai-infer', model: 'mobilenet', mode: 'batch', topK: 3, wires: [['shape']] },
  { id: 'detect-in', z: 'tab', type: 'http in', url: '/smoke/detect', method: 'get', wires: [['video']] },
  { id: 'video', z: 'tab', type: 'edge-ai-camera', name: 'sample video', source: 'video', path: VIDEO, mode: 'ondemand', loop: true, stallTimeout: 60, wires: [['detect-pre']] },
  { id: 'detect-pre', z: 'tab', type: 'edge-ai-preprocess', settings: 'model', model: 'yolox', wires: [['detect']] },
  { id: 'detect', z: 'tab', type: 'edge-ai-infer', model: 'yolox', mode: 'batch', confidence: 0.3, iou: 0.45, wires: [['shape']] },
  // The results with the frame they came from.
  { id: 'shape', z: 'tab', type: 'change', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"frame": frame, "results": payload}', tot: 'jsonata' }], wires: [['reply']] },
  { id: 'reply', z: 'tab', type: 'http response', statusCode: '', headers: {} },
  // Errors answer the request that caused them, so the smoke sees them.
  { id: 'errors', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['error-reply']] },
  { id: 'error-reply', z: 'tab', type: 'change', rules: [{ t: 'set', p: 'statusCode', pt: 'msg', to: '500', tot: 'num' }, { t: 'set', p: 'payload', pt: 'msg', to: 'error.message', tot: 'msg' }], wires: [['reply']] },
];

// Node-RED takes a node without a position for a config node.
FLOW.filter((node) => node.z).forEach((node, i) => Object.assign(node, { x: 150 + 200 * (i % 4), y: 60 + 60 * Math.floor(i / 4) }));

function get(route, timeoutMs = 300000) {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port: PORT, path: route, timeout: timeoutMs }, (response) => {
      let body = '';
      response.on('data', (d) => { body += d; });
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode, body: JSON.parse(body) });
        } catch {
          resolve({ status: response.statusCode, body });
        }
      });
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${route}: no answer in ${timeoutMs / 1000} s`)));
    request.on('error', reject);
  });
}

/** Model checker processes alive now (their command line carries the checker's flag). */
function checkers() {
  return fs.readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(CHECKER_FLAG);
    } catch {
      return false;
    }
  });
}

async function main() {
  const started = Date.now();
  const seconds = () => +((Date.now() - started) / 1000).toFixed(1);
  const result = { node: process.version, arch: process.arch, platform: process.platform, checks: [], failures: [] };
  const check = (name, ok, detail) => {
    result.checks.push({ name, ok, detail, at: seconds() });
    if (!ok) result.failures.push(`${name}: ${JSON.stringify(detail)}`);
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} ${JSON.stringify(detail)}`);
  };

  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(FLOW, null, 1));
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = { uiPort: ${PORT}, uiHost: '127.0.0.1', flowFile: 'flows.json', logging: { console: { level: 'info' } } };\n`);
  const red = spawn(process.execPath, [path.join(nodeRedDir, 'node_modules', 'node-red', 'red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
    env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  red.stdout.on('data', (d) => { log += d; });
  red.stderr.on('data', (d) => { log += d; });
  const seenCheckers = new Set();
  const watch = setInterval(() => checkers().forEach((pid) => seenCheckers.add(pid)), 50);
  try {
    const until = Date.now() + 600000;
    while (!/Started flows/.test(log)) {
      if (red.exitCode !== null || Date.now() > until) throw new Error(`Node-RED did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    result.nodeRed = (/Node-RED version: (v\S+)/.exec(log) || [])[1];
    check('Node-RED started', true, { version: result.nodeRed, seconds: seconds() });

    result.classify = {};
    for (const [photo, expected] of Object.entries(PHOTOS)) {
      const t0 = Date.now();
      const answer = await get(`/smoke/classify?photo=${encodeURIComponent(photo)}`);
      const top = answer.body.results ? answer.body.results[0] : undefined;
      result.classify[photo] = { top1: top && top.label, score: top && +top.score.toFixed(3), ms: Date.now() - t0 };
      check(`MobileNetV2 int8: ${photo} is "${expected}"`, answer.status === 200 && top && top.label.split(',')[0] === expected, result.classify[photo]);
    }

    // Two frames, as ffmpeg reaches them: which ones depends on the emulation's speed. The
    // first 10 s of the clip show 4 to 8 walkers.
    result.detect = [];
    for (let i = 0; i < 2; i += 1) {
      const t0 = Date.now();
      const detected = await get('/smoke/detect');
      const detections = (detected.body && detected.body.results) || [];
      const persons = detections.filter((d) => d.label === 'person');
      const frame = detected.body && detected.body.frame;
      const found = {
        status: detected.status, frame: frame && { seq: frame.seq, width: frame.width, height: frame.height },
        persons: persons.length, labels: detections.map((d) => `${d.label} ${d.score.toFixed(2)}`), ms: Date.now() - t0,
        insideFrame: !!frame && persons.every((d) => d.box.x >= -1 && d.box.y >= -1 && d.box.x + d.box.w <= frame.width + 1 && d.box.y + d.box.h <= frame.height + 1),
        error: detected.status === 200 ? undefined : detected.body,
      };
      result.detect.push(found);
      check(`YOLOX-nano: persons in frame ${found.frame && found.frame.seq} of the sample video read through ffmpeg`, detected.status === 200 && persons.length >= 3 && found.insideFrame, found);
    }

    const health = await get('/edge-ai/health', 30000);
    result.health = { status: health.status, report: health.body && health.body.status, models: (health.body.models || []).map((m) => `${m.name}: ${m.state}`) };
    check('health endpoint: 200 with both models ready', health.status === 200 && health.body.models.length === 2 && health.body.models.every((m) => m.state === 'ready'), result.health);

    // The checker exits after 2 s without work; give it 30 s under emulation.
    const exitUntil = Date.now() + 30000;
    while (checkers().length && Date.now() < exitUntil) await new Promise((r) => setTimeout(r, 200));
    result.checker = { seen: [...seenCheckers].length, alive: checkers().length };
    check('model checker process started and exited', seenCheckers.size >= 1 && checkers().length === 0, result.checker);
  } catch (err) {
    check('smoke ran to the end', false, String(err && err.stack || err));
  } finally {
    clearInterval(watch);
    red.kill('SIGTERM');
    await new Promise((r) => (red.exitCode !== null ? r() : red.once('exit', r)));
    result.seconds = seconds();
    result.log = log.split('\n').filter((l) => /error|warn|edge-ai/i.test(l)).slice(0, 40);
    fs.writeFileSync(resultFile, JSON.stringify(result, null, 2));
  }
  if (result.failures.length) {
    console.log(log);
    process.exit(1);
  }
}

main();
