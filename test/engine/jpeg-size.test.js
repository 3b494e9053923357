'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const sharp = require('sharp');
const { images } = require('../helpers/paths');
const { jpegDisplaySize } = require('../../dist/lib/image');

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
});
