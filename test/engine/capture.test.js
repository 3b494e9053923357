'use strict';
// Capture through real ffmpeg processes, supervised.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sharp = require('sharp');
const { assets } = require('../helpers/paths');
const { JpegStreamSplitter, CaptureSupervisor, ProcessConnection, ffmpegSpec, redactUrl, RawFrameSplitter, processCamera, pushCamera } = require('../../dist/lib/camera');
const { delay, until } = require('../helpers/wait');
const { ManualClock } = require('../helpers/clock');
const { startRtspRelay } = require('../helpers/rtsp-server');

const video = (name) => path.join(assets, 'media', 'video', name);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };


/** A supervised ffmpeg whose frames are counted; returns handles for the test. */
function capture(input, output, options) {
  const frames = [];
  const states = [];
  const pids = [];
  let supervisor;
  const splitter = new JpegStreamSplitter({ frame: (jpeg) => { frames.push(jpeg); supervisor.frameSeen(); } });
  supervisor = new CaptureSupervisor(() => new ProcessConnection(ffmpegSpec(input, output), options?.killAfterMs), {
    data: (chunk) => splitter.push(chunk),
    state: (s) => {
      states.push(s);
      if (s.state === 'connecting') setImmediate(() => pids.push(supervisor.connection.pid));
    },
  }, options);
  return { supervisor, frames, states, pids };
}

describe('JPEG stream splitter', () => {
  it('splits the sample MJPEG stream into whole frames, whatever the chunking', async () => {
    const stream = fs.readFileSync(video('vtest_10s_5fps.mjpeg'));
    const split = (chunkSize) => {
      const frames = [];
      const splitter = new JpegStreamSplitter({ frame: (f) => frames.push(f) });
      for (let at = 0; at < stream.length; at += chunkSize) splitter.push(stream.subarray(at, at + chunkSize));
      return frames;
    };
    const whole = split(stream.length);
    assert.equal(whole.length, 50, '10 s at 5 fps');
    for (const size of [1000, 4093, 65536]) {
      assert.deepEqual(split(size).map((f) => f.length), whole.map((f) => f.length), `chunks of ${size}`);
    }
    const byteByByte = [];
    const splitter = new JpegStreamSplitter({ frame: (f) => byteByByte.push(f) });
    const firstTwo = whole[0].length + whole[1].length;
    for (let at = 0; at < firstTwo; at++) splitter.push(stream.subarray(at, at + 1));
    assert.deepEqual(byteByByte.map((f) => f.toString('hex')), whole.slice(0, 2).map((f) => f.toString('hex')));
    for (const frame of [whole[0], whole[49]]) {
      const meta = await sharp(frame).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 640, 480]);
    }
    assert.equal(Buffer.concat(whole).length, stream.length, 'every byte belongs to a frame');
  });

  it('skips garbage and resynchronises at the next frame', () => {
    const stream = fs.readFileSync(video('vtest_10s_5fps.mjpeg'));
    const frames = [];
    const drops = [];
    const splitter = new JpegStreamSplitter({ frame: (f) => frames.push(f), drop: (r) => drops.push(r) }, 300000);
    const first = stream.indexOf(Buffer.from([0xff, 0xd8]), 2);
    splitter.push(Buffer.from('garbage before'));
    splitter.push(stream.subarray(0, 5000)); // a frame cut short...
    splitter.push(stream.subarray(first)); // ...then whole frames
    assert.ok(frames.length >= 48, `${frames.length} frames`);
    assert.ok(drops.includes('garbage'));
  });
});

describe('raw frame splitter', () => {
  it('cuts any chunking into the same fixed-size frames, each in its own memory', () => {
    const frameBytes = 7 * 5 * 3;
    const stream = Buffer.from(Array.from({ length: frameBytes * 9 + 11 }, (_, i) => (i * 31) % 251));
    for (const sizes of [[stream.length], [1], [frameBytes], [frameBytes - 1, frameBytes + 2], [64, 3, 500, 17]]) {
      const frames = [];
      const splitter = new RawFrameSplitter(frameBytes, (f) => frames.push(f));
      let at = 0;
      for (let i = 0; at < stream.length; i++) {
        const size = sizes[i % sizes.length];
        splitter.push(stream.subarray(at, at + size));
        at += size;
      }
      assert.equal(frames.length, 9, `chunks of ${sizes}: the 11 bytes left over are not a frame`);
      frames.forEach((f, i) => assert.ok(f.equals(stream.subarray(i * frameBytes, (i + 1) * frameBytes)), `frame ${i} with chunks of ${sizes}`));
      frames[0].fill(0); // a later frame must not share these bytes
      assert.ok(frames[1].equals(stream.subarray(frameBytes, 2 * frameBytes)));
    }
  });

  it('gets raw RGB pixels from ffmpeg at the size asked for', async () => {
    const frames = [];
    const camera = processCamera(() => ffmpegSpec({ kind: 'lavfi', graph: 'color=c=0x2060C0:size=64x48:rate=10' }, { format: 'rgb', width: 32, height: 24 }),
      { frame: (f) => frames.push(f), state: () => undefined }, {}, 32 * 24 * 3);
    try {
      camera.start();
      await until(() => frames.length >= 3, 'raw frames', 15000);
    } finally {
      await camera.close();
    }
    assert.ok(frames.every((f) => f.length === 32 * 24 * 3));
    const [r, g, b] = frames[2];
    assert.ok(Math.abs(r - 0x20) <= 3 && Math.abs(g - 0x60) <= 3 && Math.abs(b - 0xc0) <= 3, `first pixel ${[r, g, b]} is the colour`);
  });
});

describe('supervised ffmpeg capture', function () {
  this.timeout(60000);
  before(() => {
    try {
      require('node:child_process').execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    } catch {
      throw new Error('ffmpeg not found: these tests need the Debian package ffmpeg (apt-get install ffmpeg; .ci/run installs it)');
    }
  });

  it('delivers frames of the right size from a synthetic camera and from a video file', async () => {
    const synthetic = capture({ kind: 'lavfi', graph: 'testsrc=size=320x240:rate=10' }, { format: 'jpeg' });
    const file = capture({ kind: 'file', path: video('vtest_10s_640x480_h264.mp4'), loop: true }, { format: 'jpeg', fps: 5 });
    try {
      synthetic.supervisor.start();
      file.supervisor.start();
      await until(() => synthetic.frames.length >= 5 && file.frames.length >= 3, 'frames', 20000);
      assert.deepEqual(synthetic.states[0], { state: 'connecting' });
      assert.ok(synthetic.states.some((s) => s.state === 'streaming'));
      const [a, b] = await Promise.all([synthetic.frames[4], file.frames[2]].map((f) => sharp(f).metadata()));
      assert.deepEqual([a.width, a.height, b.width, b.height], [320, 240, 640, 480]);
    } finally {
      await Promise.all([synthetic.supervisor.close(), file.supervisor.close()]);
    }
    for (const c of [synthetic, file]) assert.ok(c.pids.every((pid) => !alive(pid)), 'no ffmpeg left after close');
  });

  it('restarts after the source is killed, and after it stalls, one child at a time', async () => {
    const options = { stallTimeoutMs: 1500, initialBackoffMs: 200, maxBackoffMs: 1000, killAfterMs: 500 };
    const cam = capture({ kind: 'lavfi', graph: 'testsrc=size=160x120:rate=15' }, { format: 'jpeg' }, options);
    try {
      cam.supervisor.start();
      for (let round = 0; round < 3; round++) {
        await until(() => cam.frames.length > 3 * (round + 1), `frames before kill ${round}`, 15000);
        const pid = cam.supervisor.connection.pid;
        process.kill(pid, round === 2 ? 'SIGSTOP' : 'SIGKILL'); // the last round: a stall, not an exit
        const killedAt = Date.now();
        const count = cam.frames.length;
        // The stall timeout (for the stall) and the back-off, plus 15 s of slack no load reaches.
        const limit = (round === 2 ? options.stallTimeoutMs : 0) + options.maxBackoffMs * 1.2 + 15000;
        await until(() => cam.supervisor.connection?.pid && cam.supervisor.connection.pid !== pid && cam.frames.length > count, `frames after kill ${round}`, limit);
        const resumedIn = Date.now() - killedAt;
        assert.ok(resumedIn < limit, `resumed in ${resumedIn} ms (limit ${limit})`);
        assert.equal(alive(pid), false, 'the old child is gone before the next runs');
      }
      assert.ok(cam.states.some((s) => s.state === 'reconnecting' && /no frame for/.test(s.reason)), 'the stall was seen by frame age');
    } finally {
      await cam.supervisor.close();
    }
    assert.equal(cam.supervisor.connection, undefined);
    const startsAtClose = cam.supervisor.starts;
    await delay(1500);
    assert.equal(cam.supervisor.starts, startsAtClose, 'no restart after close');
    assert.ok(cam.pids.every((pid) => !alive(pid)));
  });

  it('gives a connection the first-frame time to start, then holds it to the stall timeout', async () => {
    // A connection built in code and a clock moved by hand: only the supervisor's timing is tested.
    const clock = new ManualClock();
    const opened = [];
    const frame = () => opened[opened.length - 1].onData(Buffer.from('frame'));
    const reasons = [];
    let supervisor;
    supervisor = new CaptureSupervisor(() => ({
      open(onData) { opened.push({ at: clock.now(), onData }); },
      close: async () => undefined,
    }), {
      data: () => supervisor.frameSeen(),
      state: (s) => { if (s.state === 'reconnecting') reasons.push({ at: clock.now(), reason: s.reason }); },
    }, { stallTimeoutMs: 300, firstFrameTimeoutMs: 1200, initialBackoffMs: 50, maxBackoffMs: 50, jitter: 0, clock });
    try {
      supervisor.start();
      await clock.advance(1199);
      assert.deepEqual([opened.length, reasons.length], [1, 0], 'no restart while the first frame may still come');
      frame();
      const streamingAt = clock.now();
      await clock.advance(299);
      assert.equal(reasons.length, 0, 'frames may be 299 ms apart');
      await clock.advance(1);
      assert.deepEqual(reasons.map((r) => [r.at - streamingAt, r.reason]), [[300, 'no frame for 0 s']], 'stalled at the stall timeout after the frame');
      await clock.advance(50);
      assert.deepEqual([opened.length, opened[1].at - reasons[0].at], [2, 50], 'the second connection after the back-off');
      await clock.advance(1199);
      assert.equal(reasons.length, 1, 'a silent new connection also gets the first-frame time');
      await clock.advance(1);
      assert.deepEqual([reasons.length, reasons[1].at - opened[1].at], [2, 1200]);
    } finally {
      await supervisor.close();
    }
  });

  it('passes a URL with a password on stdin, not on the command line, and says why a login failed', async () => {
    const relay = await startRtspRelay({ auth: { user: 'viewer', password: 'pw-OK' } });
    const publisher = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10',
      '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '5', '-f', 'rtsp', '-rtsp_transport', 'tcp', `rtsp://127.0.0.1:${relay.port}/cam`], { stdio: 'ignore' });
    const read = async (password) => {
      const spec = ffmpegSpec({ kind: 'url', url: `rtsp://viewer:${password}@127.0.0.1:${relay.port}/cam`, rtspTransport: 'tcp' }, { format: 'jpeg' });
      assert.ok(!spec.args.join(' ').includes(password) && spec.stdin.includes(`rtsp://viewer:${password}@`), 'the URL is on stdin only');
      const frames = [];
      const states = [];
      const camera = processCamera(() => spec, { frame: (f) => frames.push(f), state: (s) => states.push(s) }, { initialBackoffMs: 5000 });
      camera.start();
      await until(() => frames.length >= 2 || states.some((s) => s.state === 'reconnecting'), 'frames or a failure', 15000);
      await camera.close();
      return { frames, reasons: states.filter((s) => s.state === 'reconnecting').map((s) => s.reason) };
    };
    try {
      await until(() => relay.hasPublisher, 'the publisher');
      const right = await read('pw-OK');
      assert.ok(right.frames.length >= 2, `frames with the right password (${right.reasons})`);
      const wrong = await read('pw-wrong');
      assert.equal(wrong.frames.length, 0);
      assert.match(wrong.reasons[0], /401 Unauthorized/);
      assert.ok(!wrong.reasons[0].includes('pw-wrong'));
    } finally {
      publisher.kill('SIGKILL');
      await relay.close();
    }
    const plain = ffmpegSpec({ kind: 'url', url: 'rtsp://127.0.0.1/cam' }, { format: 'jpeg' });
    assert.equal(plain.stdin, undefined, 'a URL without credentials stays on the command line');
    const quoted = ffmpegSpec({ kind: 'url', url: "rtsp://u:it's@h/cam" }, { format: 'jpeg' });
    assert.match(quoted.stdin, /^file 'rtsp:\/\/u:it'\\''s@h\/cam'$/m, 'a quote is escaped the way ffconcat reads it');
    assert.ok(plain.args.includes('rtsp://127.0.0.1/cam'));
  });

  it('asks a USB camera for its format, size and rate', () => {
    const { args } = ffmpegSpec({ kind: 'v4l2', device: '/dev/video2', inputFormat: 'mjpeg', width: 1280, height: 720, fps: 15 }, { format: 'jpeg' });
    const input = args.slice(args.indexOf('-f'), args.indexOf('-i') + 2);
    assert.deepEqual(input, ['-f', 'v4l2', '-input_format', 'mjpeg', '-video_size', '1280x720', '-framerate', '15', '-i', '/dev/video2']);
  });

  it('runs rpicam-vid (or libcamera-vid on older systems) from PATH and splits its MJPEG output', async () => {
    // A stand-in for the Pi's camera app (no camera here): it notes its arguments and writes
    // the sample MJPEG stream to stdout, as rpicam-vid --codec mjpeg -o - does.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-rpicam-'));
    const argsFile = path.join(bin, 'args');
    const script = `#!/bin/sh\necho "$(basename "$0") $*" > '${argsFile}'\nexec cat '${video('vtest_10s_5fps.mjpeg')}'\n`;
    const savedPath = process.env.PATH;
    const run = async (settings) => {
      const frames = [];
      const camera = pushCamera('rpicam', settings, bin, {}, { frame: (f) => frames.push(f), state: () => undefined });
      camera.supervisor.start();
      await until(() => frames.length >= 10, 'frames from the camera app', 10000);
      await camera.supervisor.close();
      assert.equal(camera.label, 'rpicam');
      return { frames, commandLine: fs.readFileSync(argsFile, 'utf8').trim() };
    };
    try {
      fs.writeFileSync(path.join(bin, 'libcamera-vid'), script, { mode: 0o755 });
      process.env.PATH = `${bin}${path.delimiter}${savedPath}`;
      const older = await run({ width: 640, height: 480, fps: 5, quality: 90 });
      const meta = await sharp(older.frames[9]).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 640, 480]);
      assert.equal(older.commandLine, 'libcamera-vid -t 0 -n --codec mjpeg -q 90 --framerate 5 --width 640 --height 480 -o -');
      fs.copyFileSync(path.join(bin, 'libcamera-vid'), path.join(bin, 'rpicam-vid'));
      assert.match((await run({})).commandLine, /^rpicam-vid -t 0 -n --codec mjpeg -q 80 --framerate 5 -o -$/, 'rpicam-vid first, at the camera\'s own size');
      process.env.PATH = '/nonexistent';
      assert.throws(() => pushCamera('rpicam', {}, bin, {}, { frame: () => undefined, state: () => undefined }), (err) => err.code === 'captureCommandMissing');
    } finally {
      process.env.PATH = savedPath;
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it('hides passwords in URLs', () => {
    assert.equal(redactUrl('failed rtsp://admin:s3cret@10.0.0.2/stream and http://u:p@h/x'), 'failed rtsp://***@10.0.0.2/stream and http://***@h/x');
    assert.ok(!ffmpegSpec({ kind: 'url', url: 'rtsp://a:b@h/s' }, { format: 'jpeg' }).args.join(' ').includes(' -rw_timeout'), 'RTSP uses its own timeout');
  });
});
