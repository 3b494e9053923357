'use strict';
// Redeploys must leave nothing behind: 50 deploy/close cycles of a flow with three cameras
// (a video file through ffmpeg, an HTTP MJPEG stream, a test pattern).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { helper, load, collect, delay } = require('../helpers/flow');
const { assets } = require('../helpers/paths');
const { startMjpegServer } = require('../helpers/mjpeg-server');

const VIDEO = path.join(assets, 'media', 'video', 'vtest_10s_640x480_h264.mp4');
const CYCLES = 50;

const { childProcesses } = require('../helpers/processes');
const openFds = () => fs.readdirSync('/proc/self/fd').length;
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('camera deploy/close cycles', function () {
  this.timeout(300000);
  let camera;
  let port;
  before(async () => {
    camera = await startMjpegServer();
    port = camera.port;
  });
  after(() => camera.close());

  it(`leaves no ffmpeg, zombie, timer or file descriptor after ${CYCLES} cycles`, async () => {
    const flow = [
      { id: 'cam-video', type: 'edge-ai-camera', source: 'video', path: VIDEO, mode: 'continuous', fps: 10, wires: [['out']] },
      { id: 'cam-mjpeg', type: 'edge-ai-camera', source: 'mjpeg', url: `http://127.0.0.1:${port}/`, mode: 'continuous', fps: 10, wires: [['out']] },
      { id: 'cam-pattern', type: 'edge-ai-camera', source: 'pattern', width: 64, height: 48, mode: 'continuous', fps: 10, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ];
    // One warm-up cycle so lazily created handles (sharp, the http agent) are in the baseline.
    await load(flow);
    await collect('out', 3, 20000);
    await helper.unload();
    await delay(300);
    const baseline = { fds: openFds(), timers: timers() };
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await load(flow);
      const seen = new Set();
      await new Promise((resolve, reject) => {
        const giveUp = setTimeout(() => reject(new Error(`cycle ${cycle}: frames from ${[...seen]} only`)), 20000);
        helper.getNode('out').on('input', (msg) => {
          seen.add(msg.frame.source.startsWith('http') ? 'mjpeg' : msg.frame.source === 'pattern' ? 'pattern' : 'video');
          if (seen.size === 3) {
            clearTimeout(giveUp);
            resolve();
          }
        });
      });
      await helper.unload();
    }
    await delay(500);
    assert.deepEqual(childProcesses(), [], 'no child process (ffmpeg or zombie) left');
    assert.ok(openFds() <= baseline.fds + 2, `file descriptors ${openFds()} vs ${baseline.fds} at the start`);
    assert.ok(timers() <= baseline.timers, `timers ${timers()} vs ${baseline.timers} at the start`);
  });
});
