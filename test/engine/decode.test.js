'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { models, lib } = require('../helpers/paths');
const { nonMaxSuppression, iou } = lib('decode/nms');
const { topK, toProbabilities } = lib('decode/classification');
const { decodeYolo, readYoloLayout } = lib('decode/yolo');
const { readOnnxModelInfo } = lib('model/onnx-metadata');
const { parseUltralyticsNames, parseLabelLines } = lib('model/labels');

const box = (x, y, w, h) => ({ x, y, w, h });
const options = { layout: 'auto', confidence: 0.25, iou: 0.5, maxDetections: 100, classAgnostic: false };

describe('non-maximum suppression', () => {
  it('computes IoU of overlapping, nested and disjoint boxes', () => {
    assert.equal(iou(box(0, 0, 10, 10), box(5, 0, 10, 10)), 50 / 150);
    assert.equal(iou(box(0, 0, 10, 10), box(2, 2, 5, 5)), 25 / 100);
    assert.equal(iou(box(0, 0, 1, 1), box(5, 5, 1, 1)), 0);
  });

  it('keeps the best of overlapping boxes per class and all classes apart', () => {
    const candidates = [
      { classId: 0, score: 0.6, box: box(1, 1, 10, 10) },
      { classId: 0, score: 0.9, box: box(0, 0, 10, 10) },
      { classId: 1, score: 0.8, box: box(0, 0, 10, 10) },
      { classId: 0, score: 0.7, box: box(50, 50, 10, 10) },
      { classId: 0, score: 0.5, box: box(6, 0, 10, 10) }, // IoU 0.25 with the best: kept
    ];
    const kept = nonMaxSuppression(candidates, 0.5, 10);
    assert.deepEqual(kept.map((k) => k.score), [0.9, 0.8, 0.7, 0.5]);
    const agnostic = nonMaxSuppression(candidates, 0.5, 10, true);
    assert.deepEqual(agnostic.map((k) => k.score), [0.9, 0.7, 0.5]);
    assert.equal(nonMaxSuppression(candidates, 0.5, 2).length, 2);
  });
});

describe('classification', () => {
  it('returns the k best above the minimum, best first, with labels', () => {
    const scores = Float32Array.from([0.1, 0.5, 0.05, 0.3, 0.05]);
    assert.deepEqual(topK(scores, 2, 0, ['a', 'b', 'c', 'd', 'e']), [
      { label: 'b', classId: 1, score: scores[1] },
      { label: 'd', classId: 3, score: scores[3] },
    ]);
    assert.deepEqual(topK(scores, 5, 0.2).map((r) => r.label), ['class 1', 'class 3']);
  });

  it('applies softmax to logits only', () => {
    const probs = Float32Array.from([0.2, 0.8]);
    assert.equal(toProbabilities(probs), probs);
    const soft = toProbabilities(Float32Array.from([1, 3, -2]));
    assert.ok(Math.abs(soft.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    assert.ok(soft[1] > soft[0] && soft[0] > soft[2]);
  });
});

describe('YOLO decoding', () => {
  // Two classes, three anchors. Anchor 0: class 1 at 0.9; anchor 1: overlaps anchor 0 with 0.6;
  // anchor 2: below threshold.
  const anchors = [
    [50, 40, 20, 10, 0.1, 0.9],
    [51, 40, 20, 10, 0.2, 0.6],
    [10, 10, 4, 4, 0.1, 0.2],
  ];

  it('reads v8 channels-first output [1, 4+C, N]', () => {
    const n = anchors.length;
    const data = new Float32Array(6 * n);
    anchors.forEach((a, i) => a.forEach((v, k) => { data[k * n + i] = v; }));
    const reading = readYoloLayout([1, 6, 3], 'v8');
    assert.deepEqual([reading.anchors, reading.classes, reading.objectness], [3, 2, false]);
    const found = decodeYolo(data, reading, options, ['cat', 'dog']);
    assert.equal(found.length, 1);
    assert.equal(found[0].label, 'dog');
    assert.ok(Math.abs(found[0].score - 0.9) < 1e-6);
    assert.deepEqual(found[0].box, { x: 40, y: 35, w: 20, h: 10 });
  });

  it('reads v5 rows [1, N, 5+C] and multiplies objectness', () => {
    const rows = [
      [50, 40, 20, 10, 0.5, 0.1, 0.9], // 0.45
      [90, 90, 10, 10, 0.2, 0.9, 0.1], // obj below threshold
      [10, 10, 4, 4, 0.9, 0.8, 0.1], // 0.72
    ];
    const reading = readYoloLayout([1, 3, 7], 'auto', 2);
    assert.equal(reading.objectness, true);
    const found = decodeYolo(Float32Array.from(rows.flat()), reading, options);
    assert.deepEqual(found.map((d) => [d.classId, Number(d.score.toFixed(2))]), [[0, 0.72], [1, 0.45]]);
  });

  it('tells a transposed v8 export from v5 by the label count', () => {
    assert.equal(readYoloLayout([1, 8400, 84], 'auto', 80).objectness, false);
    assert.equal(readYoloLayout([1, 25200, 85], 'auto', 80).objectness, true);
    assert.equal(readYoloLayout([1, 84, 8400], 'auto').classes, 80);
    assert.throws(() => readYoloLayout([1, 2, 3, 4], 'auto'), /does not fit the YOLO auto decoder/);
  });
});

describe('ONNX metadata and labels', () => {
  it('reads the Ultralytics names from yolov8n', () => {
    const info = readOnnxModelInfo(fs.readFileSync(path.join(models, 'detection', 'yolov8n_640_agpl.onnx')));
    const names = parseUltralyticsNames(info.metadata.names);
    assert.equal(names.length, 80);
    assert.equal(names[0], 'person');
    assert.equal(names[33], 'kite');
    assert.ok(info.opsets['ai.onnx'] > 0);
  });

  it('reads graph inputs and outputs as onnxruntime sees them, weights left out', async () => {
    const ort = require('onnxruntime-node');
    for (const file of ['face/ultraface-version-RFB-320.onnx', 'face/yunet_n_320_320.onnx', 'classification/mobilenet_v2_224_int8_qdq.onnx']) {
      const bytes = fs.readFileSync(path.join(models, file));
      const info = readOnnxModelInfo(bytes);
      const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
      const fromOrt = (meta) => meta.map((m) => ({ name: m.name, type: m.type, dims: m.shape }));
      assert.deepEqual(info.inputs, fromOrt(session.inputMetadata), file);
      assert.deepEqual(info.outputs, fromOrt(session.outputMetadata), file);
      await session.release();
    }
  });

  it('refuses bytes that are not protobuf', () => {
    assert.throws(() => readOnnxModelInfo(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2])), /runs past the end/);
  });

  it('parses label lines and Python dict names', () => {
    assert.deepEqual(parseLabelLines('a\r\nb\n\nd\n\n'), ['a', 'b', '', 'd']);
    assert.deepEqual(parseUltralyticsNames(`{0: 'a', 2: "it's", 1: 'b'}`), ['a', 'b', "it's"]);
    assert.equal(parseUltralyticsNames('person,car'), undefined);
  });
});
