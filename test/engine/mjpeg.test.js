'use strict';
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { MjpegParser, boundaryFromContentType } = require('../../dist/lib/camera');

/** A fake JPEG: SOI, some bytes (which may contain CR, LF and dashes), EOI. */
const jpeg = (n, size = 200) => {
  const body = crypto.createHash('sha256').update(String(n)).digest();
  const data = Buffer.alloc(size, body);
  data[0] = 0xff; data[1] = 0xd8; data[size - 2] = 0xff; data[size - 1] = 0xd9;
  data[50] = 0x0d; data[51] = 0x0a; data[52] = 0x2d; data[53] = 0x2d; // "\r\n--" inside the image
  return data;
};

function part(frame, { boundary = 'frame', length = true, eol = '\r\n', type = 'image/jpeg' } = {}) {
  const headers = [`--${boundary}`, `Content-Type: ${type}`, ...(length ? [`Content-Length: ${frame.length}`] : [])].join(eol);
  return Buffer.concat([Buffer.from(headers + eol + eol, 'latin1'), frame, Buffer.from(eol, 'latin1')]);
}

/** Feed a stream whole, one byte at a time, and in random chunks; all three must agree. */
function parseAllWays(stream, options, limits) {
  const results = [];
  const chunkings = [
    () => [stream],
    () => [...stream].map((b) => Buffer.from([b])),
    () => {
      const chunks = [];
      let seed = 7;
      for (let at = 0; at < stream.length;) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const size = 1 + (seed % 97);
        chunks.push(stream.subarray(at, at + size));
        at += size;
      }
      return chunks;
    },
  ];
  for (const chunking of chunkings) {
    const frames = [];
    const drops = [];
    const parser = new MjpegParser({ frame: (f) => frames.push(f), drop: (reason) => drops.push(reason) }, { ...options, limits });
    for (const chunk of chunking()) parser.push(chunk);
    results.push({ frames, drops, ended: parser.end(), boundary: parser.boundary });
  }
  for (const other of results.slice(1)) {
    assert.deepEqual(other.frames.map((f) => f.toString('hex')), results[0].frames.map((f) => f.toString('hex')), 'same frames whatever the chunking');
    assert.deepEqual(other.drops, results[0].drops);
  }
  return results[0];
}

describe('MJPEG parser', () => {
  const frames = [jpeg(1), jpeg(2, 333), jpeg(3, 64)];
  const table = [
    { name: 'boundary from the header, Content-Length', options: { boundary: 'frame' }, stream: Buffer.concat(frames.map((f) => part(f))) },
    { name: 'no Content-Length', options: { boundary: 'frame' }, stream: Buffer.concat(frames.map((f) => part(f, { length: false }))) },
    { name: 'boundary sniffed from the body', options: {}, stream: Buffer.concat(frames.map((f) => part(f, { boundary: 'myboundary', length: false }))) },
    { name: 'LF line endings', options: { boundary: 'frame' }, stream: Buffer.concat(frames.map((f) => part(f, { eol: '\n' }))) },
    { name: 'header boundary written with its dashes', options: { boundary: '--frame' }, stream: Buffer.concat(frames.map((f) => part(f))) },
    {
      name: 'garbage before and between parts',
      options: { boundary: 'frame' },
      stream: Buffer.concat([Buffer.from('HTTP preamble garbage\r\n\r\n'), part(frames[0]), Buffer.from('\x00\x01junk--fr'), part(frames[1], { length: false }), part(frames[2])]),
    },
  ];
  for (const row of table) {
    it(`${row.name}: the same frames fed whole, byte by byte and in random chunks`, () => {
      const got = parseAllWays(row.stream, row.options);
      assert.deepEqual(got.frames.map((f) => f.toString('hex')), frames.map((f) => f.toString('hex')));
      assert.deepEqual(got.drops, []);
      assert.equal(got.ended, undefined);
      if (!row.options.boundary) assert.equal(got.boundary, 'myboundary', 'the boundary was sniffed');
    });
  }

  it('reads the boundary parameter of a Content-Type header', () => {
    assert.equal(boundaryFromContentType('multipart/x-mixed-replace; boundary=--myboundary'), '--myboundary');
    assert.equal(boundaryFromContentType('multipart/x-mixed-replace;boundary="a b"'), 'a b');
    assert.equal(boundaryFromContentType('image/jpeg'), undefined);
  });

  it('does not believe an absurd Content-Length: the part is read to its delimiter (issue 18: it was dropped)', () => {
    const lying = Buffer.from('--frame\r\nContent-Type: image/jpeg\r\nContent-Length: 999999999999\r\n\r\n');
    const stream = Buffer.concat([part(frames[0]), lying, frames[1], Buffer.from('\r\n'), part(frames[2])]);
    const got = parseAllWays(stream, { boundary: 'frame' }, { maxFrameBytes: 4096 });
    assert.deepEqual(got.frames.map((f) => f.length), frames.map((f) => f.length));
    assert.deepEqual(got.drops, []);
  });

  it('defect 5: a Content-Length too short or too long neither cuts a frame nor swallows the next one', () => {
    const withLength = (frame, length) => Buffer.concat([Buffer.from(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${length}\r\n\r\n`), frame, Buffer.from('\r\n')]);
    for (const [name, wrong] of [['short', 30], ['long', frames[1].length + 150]]) {
      const stream = Buffer.concat([part(frames[0]), withLength(frames[1], wrong), part(frames[2]), part(frames[0])]);
      const got = parseAllWays(stream, { boundary: 'frame' });
      assert.deepEqual(got.frames.map((f) => f.toString('hex')), [frames[0], frames[1], frames[2], frames[0]].map((f) => f.toString('hex')), name);
      assert.deepEqual(got.drops, [], name);
    }
  });

  it('defect 5: a part that starts a JPEG but does not end it is dropped as truncated, and the next frame comes', () => {
    const cut = frames[1].subarray(0, 120);
    const stream = Buffer.concat([part(cut, { length: false }), part(frames[2])]);
    const got = parseAllWays(stream, { boundary: 'frame' });
    assert.deepEqual(got.frames.map((f) => f.length), [frames[2].length]);
    assert.deepEqual(got.drops, ['truncated']);
  });

  it('drops parts that are not JPEG, and headers that never end', () => {
    const text = part(Buffer.from('hello, not an image'), { type: 'text/plain' });
    const endless = Buffer.concat([Buffer.from('--frame\r\nX-Header: '), Buffer.alloc(3000, 'a')]);
    const stream = Buffer.concat([text, endless, part(frames[0])]);
    const got = parseAllWays(stream, { boundary: 'frame' }, { maxHeaderBytes: 1024 });
    assert.deepEqual(got.frames.map((f) => f.length), [frames[0].length]);
    assert.deepEqual(got.drops, ['notJpeg', 'badHeaders']);
  });

  it('says "Unexpected end of stream" when the stream stops inside a frame', () => {
    const stream = Buffer.concat([part(frames[0]), part(frames[1]).subarray(0, 120)]);
    const got = parseAllWays(stream, { boundary: 'frame' });
    assert.equal(got.frames.length, 1);
    assert.equal(got.ended, 'Unexpected end of stream');
  });

  it('a 64 MB part without a boundary is dropped within the memory cap', () => {
    const maxFrameBytes = 1024 * 1024;
    const frameList = [];
    const drops = [];
    const parser = new MjpegParser({ frame: (f) => frameList.push(f.length), drop: (r, bytes) => drops.push([r, bytes]) }, { boundary: 'frame', limits: { maxFrameBytes } });
    parser.push(Buffer.from('--frame\r\nContent-Type: image/jpeg\r\n\r\n'));
    parser.push(Buffer.from([0xff, 0xd8]));
    const chunk = crypto.randomBytes(64 * 1024);
    // Retained memory, measured after collecting garbage (mocha runs with --expose-gc).
    global.gc();
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    let held = 0;
    for (let i = 0; i < 1024; i++) {
      parser.push(chunk);
      held = Math.max(held, parser.bufferedBytes);
      if (i % 64 === 63) {
        global.gc();
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
      }
    }
    parser.push(part(frames[0]));
    assert.deepEqual(drops.map((d) => d[0]), ['tooLarge']);
    assert.deepEqual(frameList, [frames[0].length], 'the next frame after the boundary arrives');
    assert.ok(held <= maxFrameBytes + chunk.length, `the parser held ${held} bytes`);
    // The whole process, other tests' leftovers included: nowhere near the 64 MB that went by.
    assert.ok(peak < 16 * 1024 * 1024, `array buffers grew ${(peak / 1e6).toFixed(1)} MB while 64 MB went by`);
  });
});
