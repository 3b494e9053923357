'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { models } = require('../helpers/paths');
const { readOnnxModelInfo } = require('../../dist/lib/onnx');
const { examineModel } = require('../../dist/lib/model');

const examine = (file) => examineModel(readOnnxModelInfo(fs.readFileSync(path.join(models, file))));
const codes = (report) => report.notes.map((n) => n.code);

/** A hand-made description: one image input and the given outputs. */
function described(outputs, { input = [1, 3, 640, 640], type = 'float32', metadata = {}, names = [] } = {}) {
  return {
    inputs: [{ name: 'images', type, dims: input }],
    outputs: outputs.map((dims, i) => ({ name: names[i] ?? `out${i}`, type: 'float32', dims })),
    metadata,
  };
}

describe('model doctor on the real models', () => {
  const expected = {
    'classification/mobilenet_v2_224_fp32.onnx': { layout: 'classification', task: 'classification', classes: 1001, resize: 'crop', normalize: 'custom', mean: 128, std: 128, size: [224, 224] },
    'classification/mobilenet_v2_224_int8_qdq.onnx': { layout: 'classification', task: 'classification', classes: 1001, resize: 'crop', normalize: 'custom', mean: 128, std: 128, size: [224, 224] },
    'classification/mobilenet_v2_224_int8_qop.onnx': { layout: 'classification', task: 'classification', classes: 1001, resize: 'crop', normalize: 'custom', mean: 128, std: 128, size: [224, 224] },
    'detection/yolov8n_640_agpl.onnx': { layout: 'ultralytics-v8', task: 'detection', classes: 80, yolo: 'v8', resize: 'letterbox', align: 'center', channels: 'rgb', normalize: 'unit', size: [640, 640], labels: 80 },
    'detection/yolox_nano_416.onnx': { layout: 'yolox', task: 'detection', classes: 80, resize: 'letterbox', align: 'topleft', channels: 'bgr', normalize: 'raw', size: [416, 416] },
    'detection/yolox_nano_416_int8_qdq.onnx': { layout: 'yolox', task: 'detection', classes: 80, resize: 'letterbox', align: 'topleft', channels: 'bgr', normalize: 'raw', size: [416, 416] },
    'classification/mobilenet_v1_025_128_fp32.onnx': { layout: 'classification', task: 'classification', classes: 1001, resize: 'crop', normalize: 'custom', mean: 128, std: 128, size: [128, 128] },
    'face/ultraface-version-RFB-320.onnx': { layout: 'boxes-scores', task: 'detection', classes: 2, resize: 'stretch', normalize: 'custom', mean: 127, std: 128, size: [320, 240] },
    'face/ultraface-version-RFB-320_int8_qdq.onnx': { layout: 'boxes-scores', task: 'detection', classes: 2, resize: 'stretch', normalize: 'custom', mean: 127, std: 128, size: [320, 240] },
    'face/ultraface-version-RFB-320_int8_qop.onnx': { layout: 'boxes-scores', task: 'detection', classes: 2, resize: 'stretch', normalize: 'custom', mean: 127, std: 128, size: [320, 240] },
    'face/yunet_n_320_320.onnx': { layout: 'yunet', task: 'detection', classes: 1, resize: 'stretch', size: [320, 320] },
    'face/face_detection_front_128x128_barracuda.onnx': { layout: 'blazeface', task: 'detection', classes: 1, resize: 'letterbox', normalize: 'signed', layoutIn: 'nhwc', size: [128, 128] },
  };
  it('covers every ONNX model in the shared assets', () => {
    const all = fs.readdirSync(models, { recursive: true }).map(String).filter((f) => f.endsWith('.onnx')).sort();
    assert.deepEqual(Object.keys(expected).sort(), all);
  });

  for (const [file, want] of Object.entries(expected)) {
    it(`recognises ${path.basename(file)}`, () => {
      const r = examine(file);
      assert.equal(r.layout, want.layout);
      assert.equal(r.task, want.task);
      if (want.classes) assert.equal(r.classes, want.classes);
      if (want.yolo) assert.equal(r.yoloLayout, want.yolo);
      assert.equal(r.preprocess.resize, want.resize);
      if (want.align) assert.equal(r.preprocess.align, want.align);
      if (want.channels) assert.equal(r.preprocess.channels, want.channels);
      if (want.normalize) assert.equal(r.preprocess.normalize, want.normalize);
      if (want.mean) assert.deepEqual([r.preprocess.mean[0], r.preprocess.std[0]], [want.mean, want.std]);
      assert.deepEqual([r.preprocess.width, r.preprocess.height], want.size);
      assert.equal(r.preprocess.layout, want.layoutIn ?? 'nchw');
      if (want.labels) assert.deepEqual(r.labels, { source: 'metadata', count: want.labels });
      assert.notEqual(r.task, 'raw', 'every model in the assets has a decoder');
    });
  }
});

describe('model doctor on hand-made layouts', () => {
  it('tells YOLOv5 at 640 (3 anchors per cell) from YOLOX (one per cell)', () => {
    const v5 = examineModel(described([[1, 25200, 85]]));
    assert.deepEqual([v5.layout, v5.yoloLayout, v5.classes, v5.task], ['ultralytics-v5', 'v5', 80, 'detection']);
    const yolox = examineModel(described([[1, 8400, 85]]));
    assert.deepEqual([yolox.layout, yolox.classes], ['yolox', 80]);
  });

  it('uses the label count for transposed v8 exports and custom class counts', () => {
    const names = `{${Array.from({ length: 3 }, (_, i) => `${i}: 'c${i}'`).join(', ')}}`;
    const transposed = examineModel(described([[1, 8400, 7]], { metadata: { names } }));
    assert.deepEqual([transposed.layout, transposed.yoloLayout, transposed.classes], ['ultralytics-v8', 'auto', 3]);
    const v8 = examineModel(described([[1, 7, 8400]]));
    assert.deepEqual([v8.layout, v8.classes], ['ultralytics-v8', 3]);
  });

  it('logits classifiers, uint8 inputs, dynamic sizes and non-image inputs', () => {
    const cls = examineModel(described([[1, 10]], { input: [1, 224, 224, 3], type: 'uint8' }));
    assert.deepEqual([cls.task, cls.classes, cls.preprocess.layout, cls.preprocess.dtype, cls.preprocess.normalize], ['classification', 10, 'nhwc', 'uint8', 'raw']);
    assert.ok(codes(cls).includes('normalizationGuess') && codes(cls).includes('uint8Input'));
    const dynamic = examineModel(described([[1, 84, 'anchors']], { input: [1, 3, 'h', 'w'] }));
    assert.ok(codes(dynamic).includes('dynamicInput'));
    assert.equal(dynamic.preprocess.width, undefined);
    const audio = examineModel(described([[1, 2]], { input: [1, 16000] }));
    assert.deepEqual([audio.task, codes(audio)], ['raw', ['notImageInput']]);
  });

  it('finds NMS inside the model: [1, 300, 6] no grid explains, [K, 7] rows, and the Ultralytics end2end flag', () => {
    const v10 = examineModel(described([[1, 300, 6]], { metadata: { names: "{0: 'person', 1: 'car'}" } }));
    assert.deepEqual([v10.layout, v10.task, codes(v10).includes('endToEnd')], ['end-to-end', 'detection', true]);
    const v7 = examineModel(described([['num_dets', 7]]));
    assert.equal(v7.layout, 'end-to-end');
    const flagged = examineModel(described([[1, 100, 6]], { metadata: { end2end: 'True', names: "{0: 'a'}" } }));
    assert.equal(flagged.layout, 'end-to-end');
    // A one-class YOLOv5 at 640 has 6 values too, on 3 x 8400 rows.
    assert.equal(examineModel(described([[1, 25200, 6]])).layout, 'ultralytics-v5');
  });

  it('finds TF Object Detection outputs by name, or by shape in TFLite order, and proposes 300x300 for a dynamic input', () => {
    const names = ['detection_anchor_indices', 'detection_boxes', 'detection_classes', 'detection_multiclass_scores', 'detection_scores', 'num_detections', 'raw_detection_boxes'];
    const tf = examineModel(described([[1, 100], [1, 100, 4], [1, 100], [1, 100, 91], [1, 100], [1], [1, 1917, 4]], { input: [1, 'h', 'w', 3], type: 'uint8', names }));
    assert.deepEqual([tf.layout, tf.preprocess.width, tf.preprocess.height, tf.preprocess.layout, tf.preprocess.resize], ['tf-detection', 300, 300, 'nhwc', 'stretch']);
    assert.deepEqual(tf.notes.find((n) => n.code === 'tfDetection').params, { boxes: 'detection_boxes', classes: 'detection_classes', scores: 'detection_scores', count: 'num_detections' });
    const byShape = examineModel(described([[1, 10, 4], [1, 10], [1, 10], [1]], { input: [1, 320, 320, 3] }));
    assert.deepEqual([byShape.layout, byShape.preprocess.width], ['tf-detection', 320]);
  });

  it('finds MoveNet single and multi-pose outputs, and Ultralytics pose keypoints after the classes', () => {
    const single = examineModel(described([[1, 1, 17, 3]], { input: [1, 192, 192, 3] }));
    assert.deepEqual([single.layout, single.task, single.preprocess.resize, single.preprocess.normalize], ['movenet', 'detection', 'letterbox', 'raw']);
    assert.equal(examineModel(described([[1, 6, 56]], { input: [1, 256, 256, 3] })).layout, 'movenet');
    const pose = examineModel(described([[1, 56, 8400]], { metadata: { task: 'pose', kpt_shape: '[17, 3]', names: "{0: 'person'}" } }));
    assert.deepEqual([pose.layout, pose.classes, pose.keypoints], ['ultralytics-v8', 1, 17]);
    assert.ok(codes(pose).includes('ultralyticsPose') && !codes(pose).includes('ultralyticsTask'));
    const segment = examineModel(described([[1, 116, 8400], [1, 32, 160, 160]], { metadata: { task: 'segment' } }));
    assert.ok(codes(segment).includes('ultralyticsTask'));
  });
});
