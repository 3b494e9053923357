'use strict';
// HTTP MJPEG cameras against real servers on 127.0.0.1: ffmpeg's own MJPEG-over-HTTP output,
// and a Node server sending the sample video's frames, cut off at random moments.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const sharp = require('sharp');
const { assets } = require('../helpers/paths');
const { mjpegCamera, JpegStreamSplitter } = require('../../dist/lib/camera');
const { delay, until, freePort } = require('../helpers/wait');


describe('HTTP MJPEG camera', function () {
  this.timeout(90000);

  it('reads ffmpeg\'s MJPEG-over-HTTP stream at the right size', async () => {
    const port = await freePort();
    const server = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10',
      '-f', 'mpjpeg', '-q:v', '5', '-listen', '1', `http://127.0.0.1:${port}/cam.mjpeg`], { stdio: 'ignore' });
    const frames = [];
    const camera = mjpegCamera(`http://127.0.0.1:${port}/cam.mjpeg`, { idleTimeoutMs: 3000 }, { frame: (f) => frames.push(f), state: () => undefined },
      { initialBackoffMs: 200, maxBackoffMs: 500, stallTimeoutMs: 3000 });
    try {
      camera.start(); // ffmpeg may not listen yet: the supervisor retries
      await until(() => frames.length >= 5, 'frames from ffmpeg', 20000);
      const meta = await sharp(frames[4]).metadata();
      assert.deepEqual([meta.width, meta.height], [320, 240]);
    } finally {
      await camera.close();
      server.kill('SIGKILL');
    }
  });

  it('comes back every time the server drops the stream, one connection at a time', async () => {
    const stream = fs.readFileSync(path.join(assets, 'media', 'video', 'vtest_10s_5fps.mjpeg'));
    const jpegs = [];
    const splitter = new JpegStreamSplitter({ frame: (f) => jpegs.push(f) });
    splitter.push(stream);
    let open = 0;
    let maxOpen = 0;
    const sockets = new Set();
    const server = http.createServer((req, res) => {
      open++;
      maxOpen = Math.max(maxOpen, open);
      res.writeHead(200, { 'Content-Type': 'multipart/x-mixed-replace; boundary=vtest' });
      let i = 0;
      const timer = setInterval(() => {
        const jpeg = jpegs[i++ % jpegs.length];
        res.write(`--vtest\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`);
        res.write(jpeg);
        res.write('\r\n');
      }, 50);
      res.on('close', () => { clearInterval(timer); open--; });
    });
    server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
    const frames = [];
    const options = { initialBackoffMs: 100, maxBackoffMs: 800, stallTimeoutMs: 2000 };
    const camera = mjpegCamera(`http://127.0.0.1:${port}/`, { idleTimeoutMs: 2000 }, { frame: (f) => frames.push(f), state: () => undefined }, options);
    try {
      camera.start();
      let seed = 3;
      for (let round = 0; round < 20; round++) {
        await until(() => frames.length > 0, 'first frame', 10000);
        seed = (seed * 48271) % 2147483647;
        await delay(50 + (seed % 300)); // a random moment, often mid-frame
        const count = frames.length;
        for (const socket of sockets) socket.destroy();
        const cutAt = Date.now();
        // Back within the stall timeout and the back-off, with 15 s of slack no load reaches.
        const limit = options.stallTimeoutMs + options.maxBackoffMs * 1.2 + 15000;
        await until(() => frames.length > count + 1, `frames after cut ${round}`, limit);
        assert.ok(Date.now() - cutAt < limit);
      }
      assert.equal(maxOpen, 1, 'never two connections at once');
      for (const frame of frames.slice(-3)) {
        const meta = await sharp(frame).metadata();
        assert.deepEqual([meta.width, meta.height], [640, 480], 'no frame glued across a reconnect');
      }
    } finally {
      await camera.close();
      server.close();
    }
    assert.equal(camera.connection, undefined);
  });

  it('names the HTTP error in the reconnect reason, and never the password', async () => {
    const server = http.createServer((req, res) => { res.writeHead(401); res.end(); });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const states = [];
    const camera = mjpegCamera(`http://viewer:hunter2-secret@127.0.0.1:${server.address().port}/`, { idleTimeoutMs: 2000 },
      { frame: () => undefined, state: (s) => states.push(s) }, { initialBackoffMs: 50, maxBackoffMs: 100 });
    try {
      camera.start();
      await until(() => states.filter((s) => s.state === 'reconnecting').length >= 2, 'retries', 10000);
    } finally {
      await camera.close();
      server.close();
    }
    const reasons = states.filter((s) => s.state === 'reconnecting').map((s) => s.reason);
    assert.match(reasons[0], /^HTTP 401/);
    assert.ok(!JSON.stringify(states).includes('hunter2'));
  });
});
