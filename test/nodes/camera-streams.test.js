'use strict';
// The camera node on supervised sources: a video file and an HTTP video stream through real
// ffmpeg, HTTP MJPEG and snapshots from servers on 127.0.0.1 with Basic auth.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { helper, load, collect } = require('../helpers/flow');
const { delay, until, freePort } = require('../helpers/wait');
const { assets } = require('../helpers/paths');
const { JpegStreamSplitter } = require('../../dist/lib/camera');

const VIDEO = path.join(assets, 'media', 'video', 'vtest_10s_640x480_h264.mp4');
const PASSWORD = 'p4ss-w0rd-secret';

const listen = (server) => new Promise((r) => server.listen(0, '127.0.0.1', () => r(server.address().port)));
const { childProcesses, ffmpegsWith } = require('../helpers/processes');
const { startRtspRelay } = require('../helpers/rtsp-server');

function jpegFrames() {
  const frames = [];
  new JpegStreamSplitter({ frame: (f) => frames.push(f) }).push(fs.readFileSync(path.join(assets, 'media', 'video', 'vtest_10s_5fps.mjpeg')));
  return frames;
}

/** An HTTP camera with Basic auth: /stream is MJPEG at 20 fps, /snapshot one JPEG. */
function httpCamera() {
  const frames = jpegFrames();
  const expected = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
  return http.createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="cam"' });
      return res.end();
    }
    if (req.url === '/snapshot') {
      res.writeHead(200, { 'Content-Type': 'image/jpeg' });
      return res.end(frames[7]);
    }
    res.writeHead(200, { 'Content-Type': 'multipart/x-mixed-replace;boundary=--camboundary' });
    let i = 0;
    const timer = setInterval(() => {
      const f = frames[i++ % frames.length];
      res.write(`--camboundary\r\nContent-Type: image/jpeg\r\n\r\n`);
      res.write(f);
      res.write('\r\n');
    }, 50);
    res.on('close', () => clearInterval(timer));
  });
}

describe('camera node on supervised sources', function () {
  this.timeout(60000);
  let server;
  let port;
  before(async () => {
    server = httpCamera();
    port = await listen(server);
  });
  after(() => server.close());
  afterEach(() => helper.unload());

  const flow = (camera) => [
    { id: 'cam', type: 'edge-ai-camera', ...camera, wires: [['out']] },
    { id: 'out', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];

  it('plays a video file through ffmpeg at the fps cap, and stops ffmpeg on close', async () => {
    await load(flow({ source: 'video', path: VIDEO, mode: 'continuous', fps: 4, loop: true }));
    const started = Date.now();
    const frames = await collect('out', 6, 20000);
    assert.deepEqual(frames.map((m) => [m.frame.width, m.frame.height, m.frame.source]), frames.map(() => [640, 480, VIDEO]));
    const seqs = frames.map((m) => m.frame.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.ok(Date.now() - started > 900, 'no faster than the cap');
    const running = ffmpegsWith('vtest_10s_640x480');
    assert.equal(running.length, 1, `one ffmpeg for the camera:\n${running.join('\n')}`);
    await helper.unload();
    assert.deepEqual(ffmpegsWith('vtest_10s_640x480'), [], 'no ffmpeg after close');
  });

  it('reads an HTTP video stream through ffmpeg', async () => {
    const streamPort = await freePort(); // for ffmpeg's server
    const source = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10',
      '-f', 'mpegts', '-listen', '1', `http://127.0.0.1:${streamPort}/live.ts`], { stdio: 'ignore' });
    try {
      await delay(300);
      await load(flow({ source: 'stream', url: `http://127.0.0.1:${streamPort}/live.ts`, mode: 'continuous', fps: 10, stallTimeout: 5 }));
      const frames = await collect('out', 3, 30000);
      assert.deepEqual([frames[2].frame.width, frames[2].frame.height], [320, 240]);
    } finally {
      source.kill('SIGKILL');
    }
  });

  it('reads RTSP over UDP from a real RTSP server', async () => {
    // rtsp-server-perl (Debian) relays what an ffmpeg publishes; it speaks RTP over UDP only.
    const clientPort = await freePort();
    let sourcePort = await freePort();
    while (sourcePort === clientPort) sourcePort = await freePort();
    const relay = spawn('rtsp-server-perl', ['-c', String(clientPort), '-s', String(sourcePort), '--client_listen_address', '127.0.0.1', '--source_listen_address', '127.0.0.1'], { stdio: 'ignore' });
    let source;
    try {
      await delay(1000);
      source = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10',
        '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '10', '-f', 'rtsp', '-rtsp_transport', 'udp', `rtsp://127.0.0.1:${sourcePort}/cam`], { stdio: 'ignore' });
      await delay(1500);
      await load(flow({ source: 'stream', url: `rtsp://127.0.0.1:${clientPort}/cam`, rtspTransport: 'udp', mode: 'continuous', fps: 10, stallTimeout: 5 }));
      const frames = await collect('out', 3, 30000);
      assert.deepEqual(frames.map((m) => [m.frame.width, m.frame.height, m.frame.source]), frames.map(() => [320, 240, `rtsp://127.0.0.1:${clientPort}/cam`]));
      assert.ok(frames[0].frame.seq < frames[1].frame.seq && frames[1].frame.seq < frames[2].frame.seq, 'rising seq');
    } finally {
      source?.kill('SIGKILL');
      relay.kill('SIGKILL');
    }
  });

  it('reads the sample video over RTSP/TCP: 640x480 frames with rising seq, one ffmpeg', async () => {
    const relay = await startRtspRelay();
    const url = `rtsp://127.0.0.1:${relay.port}/sample`;
    const source = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-stream_loop', '-1', '-i', VIDEO,
      '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '5', '-f', 'rtsp', '-rtsp_transport', 'tcp', url], { stdio: 'ignore' });
    try {
      await until(() => relay.hasPublisher, 'the publisher');
      await load(flow({ source: 'stream', url, mode: 'continuous', fps: 10, stallTimeout: 5 }));
      const frames = await collect('out', 5, 30000);
      assert.deepEqual(frames.map((m) => [m.frame.width, m.frame.height, m.frame.source]), frames.map(() => [640, 480, url]));
      const seqs = frames.map((m) => m.frame.seq);
      assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), 'rising seq');
      assert.equal(ffmpegsWith(`-i ${url}`).length, 1);
    } finally {
      source.kill('SIGKILL');
      await relay.close();
    }
  });

  it('RTSP with a password: frames arrive, and the password is in no command line, status or error', async () => {
    const relay = await startRtspRelay({ auth: { user: 'viewer', password: PASSWORD } });
    const url = `rtsp://127.0.0.1:${relay.port}/locked`;
    const source = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10',
      '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '5', '-f', 'rtsp', '-rtsp_transport', 'tcp', url], { stdio: 'ignore' });
    const seen = []; // every command line of our children, status and log line while it runs
    const watcher = setInterval(() => seen.push(...childProcesses().map((c) => c.args)), 20);
    try {
      await until(() => relay.hasPublisher, 'the publisher');
      await load(flow({ source: 'stream', url, mode: 'continuous', fps: 10 }), { cam: { user: 'viewer', password: PASSWORD } });
      const cam = helper.getNode('cam');
      const setStatus = cam.status.bind(cam);
      cam.status = (st) => { seen.push(JSON.stringify(st)); setStatus(st); };
      const frames = await collect('out', 3, 20000);
      assert.deepEqual([frames[2].frame.width, frames[2].frame.height, frames[2].frame.source], [320, 240, url]);
      assert.ok(seen.some((line) => /ffmpeg .*-f concat .*-i pipe:0/.test(line)), 'the camera ffmpeg was seen, reading its input list from stdin');
      // A wrong password: the camera keeps retrying, and says why without the password.
      await helper.unload();
      await load(flow({ source: 'stream', url, mode: 'continuous', fps: 10 }), { cam: { user: 'viewer', password: `${PASSWORD}-wrong` } });
      const wrong = helper.getNode('cam');
      const setWrong = wrong.status.bind(wrong);
      const reconnecting = new Promise((resolve) => {
        wrong.status = (st) => { seen.push(JSON.stringify(st)); setWrong(st); if (/reconnecting/.test(st.text)) resolve(st); };
      });
      await reconnecting;
      seen.push(...helper.log().args.map((a) => JSON.stringify(a)));
    } finally {
      clearInterval(watcher);
      source.kill('SIGKILL');
      await relay.close();
    }
    assert.ok(seen.length > 10);
    assert.deepEqual(seen.filter((line) => line.includes(PASSWORD)), [], 'the password shows nowhere');
  });

  it('raw RGB frames from a video go through preprocess to YOLOv8n and find the pedestrians', async () => {
    await load([
      { id: 'model', type: 'edge-ai-model', path: '${EDGE_AI_MODELS}/detection/yolov8n_640_agpl.onnx', task: 'detection', labelsSource: 'metadata', preResize: 'letterbox', preNormalize: 'unit' },
      { id: 'cam', type: 'edge-ai-camera', source: 'video', path: VIDEO, output: 'rgb', width: 320, height: 240, mode: 'continuous', fps: 5, wires: [['pre', 'frames']] },
      { id: 'pre', type: 'edge-ai-preprocess', settings: 'model', model: 'model', wires: [['infer']] },
      { id: 'infer', type: 'edge-ai-infer', model: 'model', mode: 'live', confidence: 0.3, wires: [['out']] },
      { id: 'frames', type: 'helper' },
      { id: 'out', type: 'helper' },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const errors = [];
    helper.getNode('caught').on('input', (msg) => errors.push(msg.error.message));
    const [frame] = await collect('frames', 1, 20000);
    assert.deepEqual([frame.frame.format, frame.frame.width, frame.frame.height, frame.payload.length], ['rgb', 320, 240, 320 * 240 * 3]);
    assert.ok(frame.image.equals(frame.payload), 'msg.image is the frame too');
    const results = await collect('out', 3, 30000);
    for (const msg of results) {
      const persons = msg.payload.filter((d) => d.label === 'person');
      assert.ok(persons.length >= 2, `pedestrians in frame ${msg.frame.seq}: ${JSON.stringify(msg.payload.map((d) => d.label))}`);
      for (const { box } of persons) assert.ok(box.x >= -1 && box.y >= -1 && box.x + box.w <= 321 && box.y + box.h <= 241, `box inside 320x240: ${JSON.stringify(box)}`);
    }
    assert.deepEqual(errors, []);
  });

  it('refuses raw RGB from a source that only gives JPEG, and raw RGB without a size', async () => {
    for (const [camera, expected] of [
      [{ source: 'mjpeg', url: `http://127.0.0.1:${port}/stream`, output: 'rgb' }, /"output" must be "jpeg" for the mjpeg source .* but is "rgb"/],
      [{ source: 'video', path: VIDEO, output: 'rgb', width: '', height: '' }, /"width" must be an integer from 16 to 4096/],
    ]) {
      await load(flow({ ...camera, mode: 'ondemand' }));
      const caught = collect('caught', 1, 5000);
      helper.getNode('cam').receive({});
      const [msg] = await caught;
      assert.match(msg.error.message, expected);
      await helper.unload();
    }
  });

  it('HTTP MJPEG with credentials: frames arrive and the password shows nowhere', async () => {
    const url = `http://127.0.0.1:${port}/stream`;
    const statuses = [];
    await load(flow({ source: 'mjpeg', url, mode: 'continuous', fps: 5 }), { cam: { user: 'admin', password: PASSWORD } });
    const cam = helper.getNode('cam');
    const setStatus = cam.status.bind(cam);
    cam.status = (s) => { statuses.push(s); setStatus(s); };
    const frames = await collect('out', 4, 20000);
    assert.ok(frames.every((m) => m.frame.width === 640 && m.frame.source === url));
    const seen = JSON.stringify([frames.map((m) => m.frame), statuses, helper.getNode('cam').credentials ? 'has' : 'none']);
    assert.ok(!seen.includes(PASSWORD));
  });

  it('a wrong password keeps retrying, reconnecting in the status, and sends nothing', async () => {
    const statuses = [];
    await load(flow({ source: 'mjpeg', url: `http://127.0.0.1:${port}/stream`, mode: 'continuous', fps: 5 }), { cam: { user: 'admin', password: 'wrong-secret' } });
    const cam = helper.getNode('cam');
    const setStatus = cam.status.bind(cam);
    cam.status = (s) => { statuses.push(s); setStatus(s); };
    let sent = 0;
    helper.getNode('out').on('input', () => sent++);
    const until = Date.now() + 10000;
    while (statuses.filter((s) => s.text === 'edge-ai-camera.status.reconnecting').length < 2 && Date.now() < until) await delay(50);
    assert.ok(statuses.filter((s) => s.text === 'edge-ai-camera.status.reconnecting' && s.fill === 'yellow').length >= 2, 'retries, shown as reconnecting');
    assert.equal(sent, 0);
  });

  it('a stream camera stops on "stop" and starts again on "start"', async () => {
    await load(flow({ source: 'mjpeg', url: `http://127.0.0.1:${port}/stream`, mode: 'continuous', fps: 10 }), { cam: { user: 'admin', password: PASSWORD } });
    await collect('out', 2, 20000);
    helper.getNode('cam').receive({ payload: 'stop' });
    await delay(300);
    let after = 0;
    helper.getNode('out').on('input', () => after++);
    await delay(500);
    assert.equal(after, 0, 'no frames while stopped');
    helper.getNode('cam').receive({ payload: 'start' });
    await collect('out', 2, 20000);
  });

  it('snapshots on demand, and the newest pushed frame on demand', async () => {
    await load([
      ...flow({ source: 'snapshot', url: `http://127.0.0.1:${port}/snapshot`, mode: 'ondemand' }),
      { id: 'cam2', type: 'edge-ai-camera', source: 'mjpeg', url: `http://127.0.0.1:${port}/stream`, mode: 'ondemand', wires: [['out2']] },
      { id: 'out2', type: 'helper' },
    ], { cam: { user: 'admin', password: PASSWORD }, cam2: { user: 'admin', password: PASSWORD } });
    const snap = collect('out', 1);
    helper.getNode('cam').receive({ topic: 'snap' });
    const [s] = await snap;
    assert.deepEqual([s.topic, s.frame.width, s.frame.height], ['snap', 640, 480]);
    const pushed = collect('out2', 2, 20000);
    helper.getNode('cam2').receive({ n: 1 });
    helper.getNode('cam2').receive({ n: 2 });
    const got = await pushed;
    assert.deepEqual(got.map((m) => m.n), [1, 2]);
    assert.ok(got[1].frame.seq > got[0].frame.seq);
  });
});
