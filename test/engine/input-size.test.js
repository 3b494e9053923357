'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const ort = require('onnxruntime-node');
const { models } = require('../helpers/paths');
const { resizeYoloInput } = require('../../dist/lib/tools');
const { readOnnxModelInfo } = require('../../dist/lib/onnx');
const { examineModel } = require('../../dist/lib/model');

const YOLOV8N = path.join(models, 'detection', 'yolov8n_640_agpl.onnx');

describe('YOLO input size change', () => {
  it('makes a 320x320 YOLOv8n (2100 anchors) that onnxruntime runs and the doctor reads as v8', async () => {
    const report = resizeYoloInput(fs.readFileSync(YOLOV8N), 320, 320);
    assert.deepEqual(report.anchors, { from: 8400, to: 2100 });
    // Two anchor-point constants, the strides, and the two DFL reshapes.
    assert.equal(report.constants, 5);
    const info = readOnnxModelInfo(report.bytes);
    assert.deepEqual(info.inputs[0].dims, [1, 3, 320, 320]);
    assert.deepEqual(info.outputs[0].dims, [1, 84, 2100]);
    const doctor = examineModel(info);
    assert.equal(doctor.layout, 'ultralytics-v8');
    assert.equal(doctor.preprocess.width, 320);
    const session = await ort.InferenceSession.create(report.bytes, { logSeverityLevel: 3 });
    const out = await session.run({ images: new ort.Tensor('float32', new Float32Array(3 * 320 * 320).fill(0.5), [1, 3, 320, 320]) });
    await session.release();
    assert.deepEqual(out.output0.dims, [1, 84, 2100]);
    // Box centres in input pixels: the anchors now span 320, not 640.
    const cx = /** @type {Float32Array} */ (out.output0.data).subarray(0, 2100);
    assert.ok(Math.max(...cx) < 400 && Math.max(...cx) > 250, `largest centre x ${Math.max(...cx)}`);
  });

  it('keeps non-square sizes in row order (416x256)', () => {
    const report = resizeYoloInput(fs.readFileSync(YOLOV8N), 416, 256);
    assert.deepEqual(report.anchors, { from: 8400, to: 52 * 32 + 26 * 16 + 13 * 8 });
    assert.deepEqual(readOnnxModelInfo(report.bytes).inputs[0].dims, [1, 3, 256, 416]);
  });

  it('refuses sizes that do not divide by 32, and models without an Ultralytics head', () => {
    assert.throws(() => resizeYoloInput(fs.readFileSync(YOLOV8N), 300, 300), /multiple of 32 in both directions, not 300x300/);
    const mobilenet = fs.readFileSync(path.join(models, 'classification', 'mobilenet_v2_224_fp32.onnx'));
    assert.throws(() => resizeYoloInput(mobilenet, 320, 320), /no anchor constants for 224x224 \(1029 anchors\) found: not an Ultralytics detect or pose export/);
  });
});
