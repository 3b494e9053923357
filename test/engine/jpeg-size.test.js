'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const sharp = require('sharp');
const { images } = require('../helpers/paths');
const { jpegDisplaySize } = require('../../dist/lib/image');
const { random } = require('../helpers/stats');

async function sharpSize(data) {
  const meta = await sharp(data).metadata();
  const size = meta.autoOrient ?? meta;
  return { width: size.width, height: size.height };
}

describe('JPEG size from the header', () => {
  it('agrees with sharp on every JPEG photo of the assets', async () => {
    const jpegs = fs.readdirSync(images).filter((f) => /\.jpe?g$/i.test(f));
    assert.ok(jpegs.length >= 8);
    for (const name of jpegs) {
      const data = fs.readFileSync(path.join(images, name));
      assert.deepEqual(jpegDisplaySize(data), await sharpSize(data), name);
    }
  });

  it('turns the size for EXIF orientations 5 to 8, as sharp autoOrient does, and reads progressive JPEGs', async () => {
    const base = sharp(path.join(images, 'pets.jpg')).resize(120, 80);
    for (let orientation = 1; orientation <= 8; orientation++) {
      const data = await base.clone().withMetadata({ orientation }).jpeg({ progressive: orientation % 2 === 0 }).toBuffer();
      const expected = orientation >= 5 ? { width: 80, height: 120 } : { width: 120, height: 80 };
      assert.deepEqual(jpegDisplaySize(data), expected, `orientation ${orientation}`);
      assert.deepEqual(await sharpSize(data), expected, `sharp, orientation ${orientation}`);
    }
  });

  it('gives up (so sharp is asked) on headers it cannot follow', () => {
    const data = fs.readFileSync(path.join(images, 'pets.jpg'));
    assert.equal(jpegDisplaySize(data.subarray(0, 40)), undefined, 'cut before the frame header');
    assert.equal(jpegDisplaySize(Buffer.concat([data.subarray(0, 2), Buffer.from([0x12, 0x34, 0x56, 0x78])])), undefined, 'no marker');
    assert.equal(jpegDisplaySize(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff])), undefined, 'segment longer than the data');
  });

  /** An EXIF APP1 segment whose IFD0 holds one orientation entry of the given type, count and value (big-endian TIFF). */
  function exifSegment(value, { type = 3, count = 1 } = {}) {
    const tiff = Buffer.alloc(8 + 2 + 12 + 4);
    tiff.write('MM', 0, 'latin1');
    tiff.writeUInt16BE(42, 2);
    tiff.writeUInt32BE(8, 4);
    tiff.writeUInt16BE(1, 8);
    tiff.writeUInt16BE(0x0112, 10);
    tiff.writeUInt16BE(type, 12);
    tiff.writeUInt32BE(count, 14);
    if (type === 4) tiff.writeUInt32BE(value, 18); else tiff.writeUInt16BE(value, 18);
    const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
    const header = Buffer.from([0xff, 0xe1, 0, 0]);
    header.writeUInt16BE(body.length + 2, 2);
    return Buffer.concat([header, body]);
  }

  it('defect 8: with two EXIF blocks or an orientation of the wrong type it either agrees with libvips or asks it', async () => {
    const plain = await sharp(path.join(images, 'pets.jpg')).resize(120, 80).jpeg().toBuffer();
    const withSegments = (...segments) => Buffer.concat([plain.subarray(0, 2), ...segments, plain.subarray(2)]);
    const cases = {
      'two EXIF blocks, 6 then 1': withSegments(exifSegment(6), exifSegment(1)),
      'two EXIF blocks, 1 then 6': withSegments(exifSegment(1), exifSegment(6)),
      'orientation as a LONG': withSegments(exifSegment(6, { type: 4 })),
      'orientation with a count of 2': withSegments(exifSegment(6, { count: 2 })),
      'orientation 9': withSegments(exifSegment(9)),
    };
    for (const [name, data] of Object.entries(cases)) {
      const fast = jpegDisplaySize(data);
      if (fast !== undefined) assert.deepEqual(fast, await sharpSize(data), name);
    }
  });

  it('never disagrees with libvips on 500 JPEGs with mutated headers, and never throws', async () => {
    const base = await sharp(path.join(images, 'pets.jpg')).resize(64, 48).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const next = random(18);
    let asked = 0;
    for (let i = 0; i < 500; i++) {
      const data = Buffer.from(base);
      // Mutate only the header (the first 300 bytes: EXIF and frame header), one to four bytes.
      for (let m = 1 + Math.floor(next() * 4); m > 0; m--) data[2 + Math.floor(next() * 298)] = Math.floor(next() * 256);
      const fast = jpegDisplaySize(data);
      if (fast === undefined) { asked++; continue; }
      const slow = await sharpSize(data).catch(() => undefined);
      if (slow) assert.deepEqual(fast, slow, `mutation ${i}`);
    }
    assert.ok(asked < 500, 'the fast path still answers most');
  });
});
