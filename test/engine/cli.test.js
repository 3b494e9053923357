'use strict';
// The edge-ai-model command as a user first reaches for it: help and version, the model doctor's
// report (the model dialog's, in words), and inspect on both kinds of model file.
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root, models } = require('../helpers/paths');

const CLI = path.join(root, 'bin', 'edge-ai-model.js');
const run = (...args) => {
  const { status, stdout, stderr } = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status, stdout, stderr };
};
const YOLOV8N = path.join(models, 'detection', 'yolov8n_640_agpl.onnx');
const CORAL = path.join(models, 'tflite', 'coral-mobilenet_v2_1.0_224_quant.tflite');

describe('edge-ai-model on the command line', function () {
  this.timeout(60000);

  it('--help, -h and help print every command and exit 0; --version prints the package version', () => {
    for (const flag of ['--help', '-h', 'help']) {
      const { status, stdout } = run(flag);
      assert.equal(status, 0, flag);
      for (const command of ['quantize', 'check', 'resize', 'convert', 'doctor', 'inspect', 'keygen', 'bundle', 'sign', 'verify', 'health']) {
        assert.match(stdout, new RegExp(`edge-ai-model ${command}\\b`), `${flag} lists ${command}`);
      }
    }
    const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    for (const flag of ['--version', '-v']) assert.deepEqual([run(flag).status, run(flag).stdout.trim()], [0, version]);
    const bare = run();
    assert.deepEqual([bare.status, /^usage:/.test(bare.stderr)], [1, true]);
  });

  it('doctor prints the model dialog\'s report: layout, task, labels, preprocessing and notes', () => {
    const yolo = run('doctor', YOLOV8N);
    assert.equal(yolo.status, 0, yolo.stderr);
    assert.match(yolo.stdout, /^Layout: Ultralytics YOLOv8 \/ YOLO11$/m);
    assert.match(yolo.stdout, /^Labels: 80 names in the model's metadata$/m);
    assert.match(yolo.stdout, /^Preprocessing: 640 × 640 pixels, NCHW float32; .*[Ll]etterbox/m);
    assert.match(yolo.stdout, /^Notes: Ultralytics YOLO v8\/v11 output with 80 classes$/m);
    assert.doesNotMatch(yolo.stdout, /__\w+__|undefined/);
    const coral = run('doctor', CORAL);
    assert.equal(coral.status, 0, coral.stderr);
    assert.match(coral.stdout, /^Layout: Image classifier$/m);
    assert.match(coral.stdout, /^Classes: 1001$/m);
    assert.match(coral.stdout, /^File: .*coral-mobilenet_v2_1\.0_224_quant\.tflite \(tflite, \d+ bytes/m);
  });

  it('inspect takes an ONNX file as well as a .tflite one, and names what it cannot read', () => {
    const onnx = run('inspect', YOLOV8N);
    assert.equal(onnx.status, 0, onnx.stderr);
    assert.match(onnx.stdout, /^ONNX model: IR version \d+, opsets ai\.onnx \d+/m);
    assert.match(onnx.stdout, /^input  images float32 \[1, 3, 640, 640\]$/m);
    assert.match(onnx.stdout, /^operators \(\d+\): Conv ×\d+/m);
    const tflite = run('inspect', CORAL);
    assert.match(tflite.stdout, /^operators \(\d+\): /m);
    const junk = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-cli-')), 'notes.onnx');
    fs.writeFileSync(junk, 'not a model at all');
    const refused = run('inspect', junk);
    assert.deepEqual([refused.status, refused.stdout], [1, '']);
    assert.match(refused.stderr, /notes\.onnx is neither an ONNX nor a TFLite model/);
    const missing = run('doctor', path.join(path.dirname(junk), 'nowhere.onnx'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nowhere\.onnx/);
  });
});
