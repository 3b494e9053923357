'use strict';
// Redeploys must leave nothing behind: 200 deploy/close cycles of a flow with two cameras (a
// video through ffmpeg, a test pattern), two models, preprocess, infer and trigger nodes, each
// cycle waiting until both models have answered. Afterwards: no worker thread, child process,
// timer or file descriptor more than before, and the heap after a GC back where it was.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { helper, load, delay } = require('../helpers/flow');
const { assets, models } = require('../helpers/paths');
const { childProcesses } = require('../helpers/processes');
const { SessionWorker } = require('../../dist/lib/model');

const CYCLES = Number(process.env.EDGE_AI_REDEPLOYS ?? 200);
const VIDEO = path.join(assets, 'media', 'video', 'vtest_10s_640x480_h264.mp4');

const openFds = () => fs.readdirSync('/proc/self/fd').length;
const threads = () => fs.readdirSync('/proc/self/task').length;
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
const heapMB = () => {
  global.gc();
  global.gc();
  return process.memoryUsage().heapUsed / 1048576;
};

const flow = [
  { id: 'faces', type: 'edge-ai-model', path: path.join(models, 'face', 'ultraface-version-RFB-320.onnx'), labelsSource: 'inline', labels: 'background\nface' },
  { id: 'classes', type: 'edge-ai-model', path: path.join(models, 'classification', 'mobilenet_v1_025_128_fp32.onnx'), labelsSource: 'file', labelsFile: path.join(models, 'classification', 'imagenet_labels_1001.txt') },
  { id: 'cam-video', type: 'edge-ai-camera', source: 'video', path: VIDEO, mode: 'continuous', fps: 10, wires: [['pre-faces']] },
  { id: 'cam-pattern', type: 'edge-ai-camera', source: 'pattern', width: 160, height: 120, mode: 'continuous', fps: 10, wires: [['pre-classes']] },
  { id: 'pre-faces', type: 'edge-ai-preprocess', settings: 'model', model: 'faces', wires: [['infer-faces']] },
  { id: 'pre-classes', type: 'edge-ai-preprocess', settings: 'model', model: 'classes', wires: [['infer-classes']] },
  { id: 'infer-faces', type: 'edge-ai-infer', model: 'faces', mode: 'live', wires: [['trigger-faces', 'out']] },
  { id: 'infer-classes', type: 'edge-ai-infer', model: 'classes', mode: 'live', wires: [['trigger-classes', 'out']] },
  { id: 'trigger-faces', type: 'edge-ai-trigger', labels: 'face', hold: 1, zones: [{ name: 'left', points: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] }], wires: [['out'], []] },
  { id: 'trigger-classes', type: 'edge-ai-trigger', minScore: 0.01, hold: 1, wires: [['out'], []] },
  { id: 'out', type: 'helper' },
];

/** Weak references to each cycle's nodes: a cycle whose nodes outlive it is held by something. */
const cycleNodes = [];

/** Deploy, wait until both models have produced a result, close. */
async function cycle(n) {
  await load(flow);
  cycleNodes.push(flow.map((spec) => helper.getNode(spec.id)).filter(Boolean).map((node) => new WeakRef(node)));
  const answered = new Set();
  await new Promise((resolve, reject) => {
    const giveUp = setTimeout(() => reject(new Error(`cycle ${n}: answers from ${[...answered]} only`)), 30000);
    helper.getNode('out').on('input', (msg) => {
      if (msg.inference) answered.add(msg.inference.model);
      if (answered.size === 2) {
        clearTimeout(giveUp);
        resolve();
      }
    });
  });
  await helper.unload();
}

describe('redeploys of a whole pipeline', function () {
  this.timeout(1800000);

  it(`${CYCLES} deploy/close cycles with cameras, two models and triggers leave no worker, process, timer or descriptor, and no heap`, async () => {
    // A warm-up cycle puts what is made once per process (sharp, onnxruntime, the checker's
    // verdicts) in the baseline.
    await cycle(-1);
    await delay(3000);
    const baseline = { fds: openFds(), threads: threads(), timers: timers(), heapMB: heapMB() };
    const started = Date.now();
    for (let n = 0; n < CYCLES; n++) await cycle(n);
    const seconds = (Date.now() - started) / 1000;
    // The model checker's process exits 2 s after its last check; ffmpeg right away.
    await delay(3000);
    const after = { fds: openFds(), threads: threads(), timers: timers(), heapMB: heapMB() };
    if (process.env.EDGE_AI_TEST_VERBOSE) console.log(`      ${CYCLES} cycles in ${seconds.toFixed(0)} s; before ${JSON.stringify(baseline)}, after ${JSON.stringify(after)}`);
    assert.deepEqual(childProcesses(), [], 'no child process (ffmpeg, checker or zombie) left');
    assert.equal(SessionWorker.live, 0, 'no inference worker thread left');
    // libuv's thread pool grows on demand (to 4): a thread or two more is not a leak.
    assert.ok(after.threads <= baseline.threads + 2, `threads ${after.threads} vs ${baseline.threads}`);
    assert.ok(after.fds <= baseline.fds + 2, `file descriptors ${after.fds} vs ${baseline.fds}`);
    assert.ok(after.timers <= baseline.timers, `timers ${after.timers} vs ${baseline.timers}`);
    assert.ok(after.heapMB - baseline.heapMB < 10, `heap after GC ${after.heapMB.toFixed(1)} MB vs ${baseline.heapMB.toFixed(1)} MB`);
    // The test helper keeps its last cycle's spies (and through them that cycle's nodes); no
    // earlier cycle may stay alive. (A camera that sent after its close kept chains of them.)
    const alive = cycleNodes.map((refs, i) => [i, refs.filter((r) => r.deref()).length]).filter(([, count]) => count > 0);
    assert.ok(alive.length <= 1 && alive.every(([i]) => i === cycleNodes.length - 1), `cycles with nodes still alive: ${JSON.stringify(alive)}`);
  });
});
