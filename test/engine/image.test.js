'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const sharp = require('sharp');
const { images } = require('../helpers/paths');
const { bmp } = require('../helpers/bmp');
const { planResize, boxToSource, pointToModel, convertPixels, NORMALIZE_PRESETS, preprocessImage, decodeBmp, openImage, sniffFormat } = require('../../dist/lib/image');

const spec = (over) => ({
  width: 64, height: 64, resize: 'letterbox', padValue: 114, align: 'center', channels: 'rgb',
  layout: 'nchw', dtype: 'float32', ...NORMALIZE_PRESETS.unit, ...over,
});

/** A 100x50 image: left half red, right half blue, one green pixel at (10, 5). */
async function twoColourPng() {
  const raw = Buffer.alloc(100 * 50 * 3);
  for (let y = 0; y < 50; y++) {
    for (let x = 0; x < 100; x++) {
      const at = (y * 100 + x) * 3;
      if (x < 50) raw[at] = 255; else raw[at + 2] = 255;
    }
  }
  raw.fill(0, (5 * 100 + 10) * 3, (5 * 100 + 10) * 3 + 3);
  raw[(5 * 100 + 10) * 3 + 1] = 255;
  return sharp(raw, { raw: { width: 100, height: 50, channels: 3 } }).png().toBuffer();
}

describe('resize geometry', () => {
  it('letterbox centres the image and maps points both ways', () => {
    const { transform, resizeWidth, resizeHeight } = planResize(1352, 900, { width: 640, height: 640, mode: 'letterbox', align: 'center' });
    assert.equal(resizeWidth, 640);
    assert.equal(resizeHeight, 426);
    assert.equal(transform.padX, 0);
    assert.equal(transform.padY, 107);
    const [mx, my] = pointToModel(676, 450, transform);
    assert.ok(Math.abs(mx - 320) < 0.5 && Math.abs(my - 320) < 0.5, `centre maps to ${mx},${my}`);
    const back = boxToSource({ x: mx - 10, y: my - 10, w: 20, h: 20 }, transform);
    assert.ok(Math.abs(back.x + back.w / 2 - 676) < 0.5 && Math.abs(back.y + back.h / 2 - 450) < 0.5);
    assert.ok(Math.abs(back.w - 20 / transform.scaleX) < 1e-9);
  });

  it('top-left letterbox has no padding before the image', () => {
    const { transform } = planResize(200, 100, { width: 416, height: 416, mode: 'letterbox', align: 'topleft' });
    assert.deepEqual([transform.padX, transform.padY], [0, 0]);
    assert.equal(transform.scale, 416 / 200);
  });

  it('crop cuts equal parts from both sides and clips boxes to the source', () => {
    const { transform, resizeWidth } = planResize(400, 200, { width: 100, height: 100, mode: 'crop', align: 'center' });
    assert.equal(resizeWidth, 200);
    assert.equal(transform.padX, -50);
    const whole = boxToSource({ x: 0, y: 0, w: 100, h: 100 }, transform);
    assert.deepEqual(whole, { x: 100, y: 0, w: 200, h: 200 });
    const outside = boxToSource({ x: -500, y: -5, w: 1000, h: 1000 }, transform);
    assert.deepEqual(outside, { x: 0, y: 0, w: 400, h: 200 });
  });

  it('stretch scales each axis on its own', () => {
    const { transform } = planResize(300, 100, { width: 30, height: 30, mode: 'stretch', align: 'center' });
    assert.deepEqual(boxToSource({ x: 3, y: 3, w: 3, h: 3 }, transform), { x: 30, y: 10, w: 30, h: 10 });
  });
});

describe('preprocessImage', () => {
  it('letterbox pads with the pad value and keeps the content where the transform says', async () => {
    const png = await twoColourPng();
    const { tensor, transform } = await preprocessImage(png, undefined, spec({ padValue: 7, dtype: 'uint8', layout: 'nhwc' }), false);
    assert.equal(tensor.convert, undefined, 'uint8 RGB NHWC needs no conversion');
    assert.deepEqual(tensor.dims, [1, 64, 64, 3]);
    assert.equal(transform.padY, 16);
    const px = (x, y) => [...tensor.data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)];
    assert.deepEqual(px(32, 2), [7, 7, 7], 'top padding');
    assert.deepEqual(px(32, 62), [7, 7, 7], 'bottom padding');
    assert.deepEqual(px(10, 32), [255, 0, 0], 'left half red');
    assert.deepEqual(px(54, 32), [0, 0, 255], 'right half blue');
    // The green pixel at source (10,5) lands near model (6.4, 19.2).
    const [gx, gy] = pointToModel(10.5, 5.5, transform).map(Math.floor);
    assert.ok(px(gx, gy)[1] > 60, `green near ${gx},${gy}: ${px(gx, gy)}`);
  });

  it('defers the float conversion unless asked to materialise, and both agree', async () => {
    const png = await twoColourPng();
    const deferred = await preprocessImage(png, undefined, spec({ channels: 'bgr' }), false);
    assert.equal(deferred.tensor.type, 'uint8');
    assert.deepEqual(deferred.tensor.convert.dims, [1, 3, 64, 64]);
    const built = await preprocessImage(png, undefined, spec({ channels: 'bgr' }), true);
    assert.equal(built.tensor.type, 'float32');
    assert.equal(built.tensor.convert, undefined);
    const floats = new Float32Array(built.tensor.data.buffer, built.tensor.data.byteOffset, 3 * 64 * 64);
    assert.deepEqual(convertPixels(deferred.tensor.data, deferred.tensor.convert), floats);
    // BGR planar: plane 0 is blue. Source pixel (10, 32) is red, so plane 2 is 1 there.
    assert.equal(floats[0 * 4096 + 32 * 64 + 10], 0);
    assert.equal(floats[2 * 4096 + 32 * 64 + 10], 1);
  });

  it('pads while converting exactly as sharp pads the pixels (NCHW and NHWC, centre and top-left, tall and wide)', async () => {
    const png = await twoColourPng();
    const tall = await sharp(png).rotate(90).png().toBuffer();
    for (const image of [png, tall]) {
      for (const layout of ['nchw', 'nhwc']) {
        for (const align of ['center', 'topleft']) {
          const over = { padValue: 7, layout, align, ...NORMALIZE_PRESETS.imagenet };
          const deferred = await preprocessImage(image, undefined, spec(over), false);
          assert.ok(deferred.tensor.convert.placement, 'the pixels come unpadded');
          assert.ok(deferred.tensor.dims[1] < 64 || deferred.tensor.dims[2] < 64, `pixels ${deferred.tensor.dims}`);
          const built = await preprocessImage(image, undefined, spec(over), true);
          // The same image padded by sharp (uint8 NHWC RGB has no conversion), converted afterwards.
          const padded = await preprocessImage(image, undefined, spec({ ...over, dtype: 'uint8', layout: 'nhwc', ...NORMALIZE_PRESETS.raw }), false);
          const { placement, ...withoutPlacement } = deferred.tensor.convert;
          const expected = convertPixels(padded.tensor.data, withoutPlacement);
          const got = new Float32Array(built.tensor.data.buffer, built.tensor.data.byteOffset, 3 * 64 * 64);
          assert.deepEqual(got, expected, `${layout} ${align}`);
        }
      }
    }
  });

  it('converts a greyscale PNG to three equal channels', async () => {
    const { tensor } = await preprocessImage(fs.readFileSync(path.join(images, 'basketball1.png')), undefined, spec({ dtype: 'uint8', layout: 'nhwc', resize: 'stretch' }), false);
    assert.equal(tensor.data.length, 64 * 64 * 3);
    const at = (20 * 64 + 20) * 3;
    assert.equal(tensor.data[at], tensor.data[at + 1]);
    assert.equal(tensor.data[at], tensor.data[at + 2]);
  });
});

describe('convertPixels against sharp', () => {
  it('matches sharp raw output pixel by pixel for NCHW and NHWC, RGB and BGR', async () => {
    const { data, info } = await sharp(path.join(images, 'parrot.jpg')).resize(37, 23, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, 3);
    const mean = [123.675, 116.28, 103.53];
    const std = [58.395, 57.12, 57.375];
    for (const layout of ['NCHW', 'NHWC']) {
      for (const order of ['RGB', 'BGR']) {
        const out = convertPixels(data, { type: 'float32', layout, order, mean, std, dims: layout === 'NCHW' ? [1, 3, 23, 37] : [1, 23, 37, 3] });
        for (let y = 0; y < 23; y++) {
          for (let x = 0; x < 37; x++) {
            for (let c = 0; c < 3; c++) {
              const src = order === 'RGB' ? c : 2 - c;
              const expected = (data[(y * 37 + x) * 3 + src] - mean[c]) / std[c];
              const at = layout === 'NCHW' ? c * 23 * 37 + y * 37 + x : (y * 37 + x) * 3 + c;
              assert.ok(Math.abs(out[at] - expected) < 1e-5, `${layout} ${order} (${x},${y},${c}): ${out[at]} vs ${expected}`);
            }
          }
        }
      }
    }
  });

  it('writes into a reused buffer and as uint8 planar', () => {
    const pixels = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const reused = new Uint8Array(6);
    const out = convertPixels(pixels, { type: 'uint8', layout: 'NCHW', order: 'RGB', mean: [0, 0, 0], std: [1, 1, 1], dims: [1, 3, 1, 2] }, reused);
    assert.equal(out, reused);
    assert.deepEqual([...out], [1, 4, 2, 5, 3, 6]);
  });
});

describe('image decoding', () => {
  it('decodes a BMP it wrote itself, bottom-up, with row padding', () => {
    const width = 3;
    const height = 2;
    const stride = 12; // 9 bytes of pixels padded to 4
    const file = bmp(width, height, 0);
    // Bottom row first (BGR): pixel (0,1) is pure red.
    file[54 + 2] = 255;
    // Top row: pixel (2,0) is pure green.
    file[54 + stride + 6 + 1] = 255;
    const rgb = decodeBmp(file, 40e6);
    assert.deepEqual([rgb.width, rgb.height], [3, 2]);
    assert.deepEqual([...rgb.data.subarray(6, 9)], [0, 255, 0]);
    assert.deepEqual([...rgb.data.subarray(9, 12)], [255, 0, 0]);
  });

  it('reads the real grace_hopper.bmp at its size', async () => {
    const opened = await openImage(fs.readFileSync(path.join(images, 'grace_hopper.bmp')));
    assert.deepEqual([opened.format, opened.width, opened.height], ['bmp', 512, 600]);
  });

  it('names what it expected and what it received', async () => {
    await assert.rejects(openImage('hello'), /Expected an encoded image Buffer .* but received string/);
    await assert.rejects(openImage(Buffer.from('not an image at all')), /received Buffer of 19 bytes/);
    const jpeg = fs.readFileSync(path.join(images, 'orange.jpg'));
    assert.equal(sniffFormat(jpeg), 'jpeg');
    const truncated = jpeg.subarray(0, 4000);
    await assert.rejects(preprocessImage(truncated, undefined, spec({}), false), (err) => err.code === 'corruptImage' && /jpeg image/.test(err.message));
    await assert.rejects(openImage(Buffer.alloc(10), { format: 'rgb', width: 2, height: 2 }), /12 bytes .* received 10 bytes/);
  });
});
