'use strict';
// Signed model bundles made the way an operator makes them (makePayload, signPayload), for tests
// of the device side; one can carry another model's golden answers, signed all the same, so
// that only the canary can catch it.
const fs = require('node:fs');
const path = require('node:path');
const tar = require('tar');
const { buildModel } = require('./onnx-builder');
const { makePayload, signPayload, goldenAnswers, MANIFEST_FILE } = require('../../dist/lib/update');

/** A source that yields `bytes` in chunks of `size`, counting how many were pulled. */
function chunks(bytes, size = 4096) {
  const source = {
    pulled: 0,
    async *[Symbol.asyncIterator]() {
      for (let at = 0; at < bytes.length; at += size) {
        source.pulled++;
        yield bytes.subarray(at, at + size);
      }
    },
  };
  return source;
}

/** tinyClassifier's signature, the opposite answers: the least red, green or blue channel wins. */
const contrary = () => buildModel({
  nodes: [['ReduceMean', ['image'], ['mean'], { axes: [2, 3], keepdims: 0 }], ['Neg', ['mean'], ['scores']]],
  inputs: [['image', 'float32', [1, 3, 8, 8]]],
  outputs: [['scores', 'float32', [1, 3]]],
});

/**
 * A signed bundle (its bytes) of the model `bytes`, made in `dir` under `file`.
 * @param {string} dir
 * @param {{ file: string, name?: string, version: string, bytes: Buffer, key: { privatePem: string }, golden?: string[],
 *   goldenFrom?: Buffer, labels?: string, expires?: Date, now?: Date, allowDowngrade?: boolean }} options
 */
async function makeBundle(dir, options) {
  const { file, name = 'tiny', version, bytes, key, golden = [], goldenFrom, labels, expires, now, allowDowngrade } = options;
  const model = path.join(dir, `${file}.onnx`);
  fs.writeFileSync(model, bytes);
  const payloadFile = path.join(dir, `${file}.tgz`);
  const manifest = await makePayload(model, { name, version, golden, labels, expires, now, allowDowngrade }, payloadFile);
  if (goldenFrom) {
    const made = path.join(dir, `${file}-x`);
    fs.mkdirSync(made);
    await tar.x({ file: payloadFile, cwd: made });
    const answers = await goldenAnswers(goldenFrom, golden);
    const edited = { ...manifest, golden: manifest.golden.map((g, i) => ({ ...g, answer: answers[i] })) };
    fs.writeFileSync(path.join(made, MANIFEST_FILE), JSON.stringify(edited));
    const files = [MANIFEST_FILE, manifest.model.file, ...(manifest.labels ? [manifest.labels.file] : []), ...manifest.golden.map((g) => g.file)];
    await tar.c({ gzip: true, file: payloadFile, cwd: made, portable: true }, files);
  }
  const out = path.join(dir, `${file}.bundle`);
  await signPayload(payloadFile, key.privatePem, out);
  return fs.readFileSync(out);
}

function flip(bytes, at) {
  const copy = Buffer.from(bytes);
  copy[at] ^= 1;
  return copy;
}

module.exports = { chunks, contrary, makeBundle, flip };
