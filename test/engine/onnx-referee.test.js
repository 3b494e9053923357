'use strict';
// An outside referee on the quantizer's output: Debian's python3-onnx (installed by .ci/run)
// runs onnx.checker with full shape inference on int8 models written by edge-ai-model quantize.
// Not in the Node 18 run: its Debian root has no Python, and the check is about the file.
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root, models, images } = require('../helpers/paths');

const cli = path.join(root, 'bin', 'edge-ai-model.js');
const PYTHON = '/usr/bin/python3';
const checkModel = (file) => execFileSync(PYTHON, ['-c', 'import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print("valid", m.ir_version)', file], { encoding: 'utf8', stdio: 'pipe' });

describe('int8 models pass Debian\'s onnx.checker', function () {
  this.timeout(300000);
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-referee-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const calibration = ['apple.jpg', 'fruits.jpg', 'messi5.jpg', 'kite_and_cold.jpg'].map((p) => path.join(images, p));
  for (const [name, model, extra] of [
    ['MobileNetV2 (opset 13, Clip folded)', path.join(models, 'classification', 'mobilenet_v2_224_fp32.onnx'), ['--method', 'mse']],
    ['YOLOX-nano (opset 11 raised to 13, two nodes kept float)', path.join(models, 'detection', 'yolox_nano_416.onnx'), ['--method', 'percentile', '--exclude', 'Conv_41,Conv_44']],
  ]) {
    it(name, () => {
      const out = path.join(dir, `${path.basename(model, '.onnx')}_int8.onnx`);
      execFileSync(process.execPath, [cli, 'quantize', model, '--images', ...calibration, '--out', out, '--no-mixed', '--quiet', ...extra]);
      assert.match(checkModel(out), /^valid \d+/);
    });
  }

  it('and the referee does refuse a broken file', () => {
    const source = fs.readdirSync(dir).find((f) => f.endsWith('_int8.onnx'));
    fs.writeFileSync(path.join(dir, 'broken.onnx'), fs.readFileSync(path.join(dir, source)).subarray(0, 5000));
    assert.throws(() => checkModel(path.join(dir, 'broken.onnx')));
  });
});
