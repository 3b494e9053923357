'use strict';
// Property tests for every parser and decoder that reads outside data (issue 18): random and
// mutated inputs, from a seeded generator so each run sees the same corpus. Each input ends in a
// result or a clear error (an EdgeAiError, or a plain Error with a message for the ONNX reader),
// never a TypeError, a hang or a runaway allocation.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { MjpegParser } = require('../../dist/lib/camera');
const { jpegDisplaySize, imageFromText } = require('../../dist/lib/image');
const { readOnnxModelInfo, OnnxGraph } = require('../../dist/lib/onnx');
const { parseLabelLines, parseUltralyticsNames } = require('../../dist/lib/model');
const { rulesFromMessage, triggerConfigFrom, resultsOf } = require('../../dist/lib/trigger');
const { annotationSvg, drawingFor } = require('../../dist/lib/annotate');
const { models, images } = require('../helpers/paths');
const { random } = require('../helpers/stats');
const { tinyClassifier } = require('../helpers/onnx-builder');

/** Runs `body` on each input; an input may return or throw an expected error, nothing else, each within `ms`. */
function holds(inputs, body, { ms = 2000, expected = (err) => err && err.name === 'EdgeAiError' } = {}) {
  let results = 0;
  let errors = 0;
  inputs.forEach((input, i) => {
    const started = process.hrtime.bigint();
    try {
      body(input);
      results++;
    } catch (err) {
      assert.ok(expected(err), `input ${i}: ${err && err.stack}`);
      errors++;
    }
    const took = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(took < ms, `input ${i} took ${took.toFixed(0)} ms`);
  });
  return { results, errors };
}

/** `count` copies of `base` with 1-8 bytes changed, some cut short, some grown. */
function mutants(base, count, seed) {
  const next = random(seed);
  return Array.from({ length: count }, () => {
    let data = Buffer.from(base);
    for (let m = 1 + Math.floor(next() * 8); m > 0; m--) data[Math.floor(next() * data.length)] = Math.floor(next() * 256);
    const cut = next();
    if (cut < 0.1) data = data.subarray(0, Math.floor(next() * data.length));
    else if (cut < 0.15) data = Buffer.concat([data, Buffer.from(Array.from({ length: 64 }, () => Math.floor(next() * 256)))]);
    return data;
  });
}

/** Random values of every kind, for the parsers of msgs. */
function anyValue(next, depth = 0) {
  const kinds = ['null', 'number', 'string', 'bool', 'array', 'object', 'nan', 'big'];
  const kind = kinds[Math.floor(next() * (depth > 2 ? 4 : kinds.length))];
  switch (kind) {
    case 'null': return next() < 0.5 ? null : undefined;
    case 'number': return (next() - 0.3) * 10;
    case 'string': return ['', 'person', '1,2', 'NaN', '0.5', '\u0000', 'x'.repeat(Math.floor(next() * 40))][Math.floor(next() * 7)];
    case 'bool': return next() < 0.5;
    case 'nan': return [NaN, Infinity, -Infinity, -0][Math.floor(next() * 4)];
    case 'big': return [1e12, -1e12, 2 ** 31, Number.MAX_SAFE_INTEGER][Math.floor(next() * 4)];
    case 'array': return Array.from({ length: Math.floor(next() * 4) }, () => anyValue(next, depth + 1));
    default: return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, () => [['x', 'y', 'w', 'h', 'name', 'points', 'from', 'to', 'label', 'score', 'box', 'bbox', 'type'][Math.floor(next() * 13)], anyValue(next, depth + 1)]));
  }
}

describe('parsers and decoders of outside data, on random and mutated input', function () {
  this.timeout(120000);

  it('the MJPEG parser: 300 mutated streams in random chunks give whole JPEG frames or counted drops, within its memory cap', () => {
    const frame = fs.readFileSync(path.join(images, 'orange.jpg')).subarray(0, 4000);
    const jpeg = Buffer.concat([frame, Buffer.from([0xff, 0xd9])]);
    const part = (data, length) => Buffer.concat([Buffer.from(`--b\r\nContent-Type: image/jpeg\r\nContent-Length: ${length}\r\n\r\n`), data, Buffer.from('\r\n')]);
    const stream = Buffer.concat([part(jpeg, jpeg.length), part(jpeg, 17), part(jpeg, jpeg.length * 3), part(jpeg, jpeg.length)]);
    const next = random(5);
    const limits = { maxFrameBytes: 64 * 1024, maxHeaderBytes: 1024 };
    holds(mutants(stream, 300, 11), (data) => {
      const frames = [];
      const parser = new MjpegParser({ frame: (f) => frames.push(f) }, { boundary: 'b', limits });
      for (let at = 0; at < data.length;) {
        const size = 1 + Math.floor(next() * 700);
        parser.push(data.subarray(at, at + size));
        at += size;
        assert.ok(parser.bufferedBytes <= limits.maxFrameBytes + 2 * 700 + 1024, `held ${parser.bufferedBytes} bytes`);
      }
      parser.end();
      for (const f of frames) assert.ok(f[0] === 0xff && f[1] === 0xd8 && f[f.length - 2] === 0xff && f[f.length - 1] === 0xd9, 'a whole JPEG');
    });
  });

  it('the JPEG header and EXIF reader: 2,000 mutated headers give a size or nothing, never a throw', () => {
    const base = fs.readFileSync(path.join(images, 'pets.jpg')).subarray(0, 2000);
    holds(mutants(base, 2000, 3), (data) => {
      const size = jpegDisplaySize(data);
      if (size) assert.ok(size.width > 0 && size.height > 0);
    }, { expected: () => false });
  });

  it('images as text: 1,000 random strings are an image or nothing', () => {
    const next = random(8);
    const orange = fs.readFileSync(path.join(images, 'orange.jpg')).toString('base64');
    const texts = Array.from({ length: 1000 }, (_, i) => {
      const base = i % 3 === 0 ? orange : i % 3 === 1 ? `data:image/jpeg;base64,${orange}` : String(anyValue(next));
      const cut = Math.floor(next() * base.length);
      return i % 5 === 0 ? base.slice(0, cut) + '!' + base.slice(cut + 1) : base.slice(0, Math.max(cut, 1));
    });
    holds(texts, (text) => {
      const image = imageFromText(text);
      if (image) assert.ok(Buffer.isBuffer(image) && image.length > 0);
    }, { expected: () => false });
  });

  it('the ONNX reader and graph editor: 2,000 mutated models are read or refused with a message, bounded in time', () => {
    const bases = [tinyClassifier(8, { names: "{0: 'a', 1: 'b', 2: 'c'}" }), fs.readFileSync(path.join(models, 'face', 'ultraface-version-RFB-320.onnx')).subarray(0, 60000)];
    const inputs = bases.flatMap((base, i) => mutants(base, 1000, 20 + i));
    holds(inputs, (data) => {
      readOnnxModelInfo(data);
      OnnxGraph.read(data);
    }, { ms: 500, expected: (err) => err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError && /Array buffer allocation|Invalid array length/.test(err.message)) && err.message.length > 0 });
  });

  it('labels: 1,000 random label texts and Ultralytics names give a bounded list or nothing', () => {
    const next = random(13);
    const texts = Array.from({ length: 1000 }, (_, i) => {
      const index = i % 4 === 1 ? Math.floor(next() * 1e10) : Math.floor(next() * 100);
      return i % 2 ? `{${index}: 'cat', 1: "dog\\"s", 2: '${'x'.repeat(i % 30)}'}` : Array.from({ length: i % 50 }, () => String(anyValue(next))).join(i % 3 ? '\n' : '\r\n');
    });
    holds(texts, (text) => {
      assert.ok(parseLabelLines(text).length <= text.length + 1);
      const names = parseUltralyticsNames(text);
      if (names) assert.ok(names.length <= 100000, `${names.length} labels from ${text.slice(0, 40)}`);
    }, { ms: 100, expected: () => false });
  });

  it('msg.rules and results: 3,000 random values become a rule set and results, or a clear error', () => {
    const next = random(17);
    holds(Array.from({ length: 3000 }, () => anyValue(next)), (value) => {
      const rules = rulesFromMessage(value);
      triggerConfigFrom({ labels: 'person', ...rules });
    });
    holds(Array.from({ length: 1000 }, () => [anyValue(next), { label: 'cat', score: 0.5 }, anyValue(next)]), (value) => resultsOf(value));
  });

  it('annotations: 3,000 random lists and detections are drawn as SVG or refused with a clear error', () => {
    const next = random(19);
    holds(Array.from({ length: 3000 }, () => Array.from({ length: 1 + Math.floor(next() * 3) }, () => anyValue(next))), (list) => {
      const svg = annotationSvg(drawingFor(list, list, true), 640, 480, { lineWidth: 0, fontSize: 0 });
      assert.ok(svg.startsWith('<svg') && svg.length < 100000);
    });
  });
});
