'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { models } = require('../helpers/paths');
const { nonMaxSuppression, iou, topK, toProbabilities, decodeYolo, readYoloLayout, classSettings, decodeYoloxGrid, decodeBoxesScores, decodeYunet, decodeBlazeFace, decodeEndToEnd, decodeTfDetection, labelIndexOffset, decodeMoveNet, decodeDetections } = require('../../dist/lib/decode');
const { readOnnxModelInfo } = require('../../dist/lib/onnx');
const { parseUltralyticsNames, parseLabelLines } = require('../../dist/lib/model');

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

describe('YOLOX raw head', () => {
  // A 64x32 input: strides 8, 16, 32 give 8x4 + 4x2 + 2x1 = 42 grid cells.
  const cells = 42;
  const head = (classes) => new Float32Array(cells * (5 + classes));

  it('decodes grid offsets and log sizes into model-input pixels, and keeps the objectness', () => {
    const data = head(2);
    // Cell (x 3, y 1) of stride 8 (row 1*8+3 = 11): a box 0.5 cells right of the cell corner, 16x8 px.
    const row = 11 * 7;
    data.set([0.5, 0.25, Math.log(2), Math.log(1), 0.9, 0.1, 0.8], row);
    // Cell (x 1, y 0) of stride 32 (row 32 + 8 + 1 = 41): class 0.
    data.set([0, 0, 0, 0, 0.6, 0.7, 0.2], 41 * 7);
    const reading = decodeYoloxGrid(data, [1, cells, 7], 64, 32);
    assert.deepEqual(reading, { anchors: cells, classes: 2, valueStride: 1, anchorStride: 7, objectness: true, keypoints: 0 });
    assert.deepEqual(Array.from(data.subarray(row, row + 4)), [(3 + 0.5) * 8, (1 + 0.25) * 8, 16, 8]);
    const found = decodeYolo(data, reading, { ...options, confidence: 0.3 }, ['cat', 'dog']);
    assert.deepEqual(found.map((d) => [d.label, +d.score.toFixed(3)]), [['dog', 0.72], ['cat', 0.42]]);
    assert.deepEqual(found[0].box, { x: 28 - 8, y: 10 - 4, w: 16, h: 8 });
    assert.deepEqual(found[1].box, { x: 32 - 16, y: 0 - 16, w: 32, h: 32 });
  });

  it('names the shape it expected for the input size', () => {
    assert.throws(() => decodeYoloxGrid(head(2), [1, 40, 7], 64, 32), /\[1, 42, 5\+C\].*64x32/);
  });
});

describe('SSD-style boxes and scores', () => {
  it('skips the background class, scales relative corners to the input and applies NMS', () => {
    const scores = { data: Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.25, 0.75, 0.1, 0.9]), dims: [1, 4, 2] };
    const boxes = {
      data: Float32Array.from([0, 0, 1, 1, 0.1, 0.1, 0.5, 0.5, 0.11, 0.1, 0.5, 0.52, 0.6, 0.5, 0.9, 1]),
      dims: [1, 4, 4],
    };
    const found = decodeBoxesScores({ scores, boxes }, 320, 240, { confidence: 0.5, iou: 0.3, maxDetections: 10, classAgnostic: false }, ['background', 'face']);
    // Anchor 0 is background; anchor 2 overlaps anchor 1 and scores less.
    assert.deepEqual(found.map((d) => [d.label, d.score]), [['face', Math.fround(0.9)], ['face', Math.fround(0.8)]]);
    const close = (box, expected) => Object.keys(expected).every((k) => Math.abs(box[k] - expected[k]) < 1e-3);
    assert.ok(close(found[0].box, { x: 192, y: 120, w: 96, h: 120 }), JSON.stringify(found[0].box));
    assert.ok(close(found[1].box, { x: 32, y: 24, w: 128, h: 96 }), JSON.stringify(found[1].box));
  });

  it('says which shapes it needs', () => {
    const bad = { scores: { data: new Float32Array(8), dims: [1, 4, 2] }, boxes: { data: new Float32Array(12), dims: [1, 3, 4] } };
    assert.throws(() => decodeBoxesScores(bad, 320, 240, options), /boxes \[1, N, 4\] and scores \[1, N, C\]/);
  });
});

describe('class allow-list and per-class thresholds', () => {
  // v8 layout [1, 4+3, 4]: four anchors, one per class 0..2 with scores 0.9, 0.5, 0.3, and a
  // second class-0 box far away scoring 0.35.
  const data = new Float32Array(7 * 4);
  const anchor = (i, [cx, cy, w, h], scores) => [cx, cy, w, h, ...scores].forEach((v, row) => { data[row * 4 + i] = v; });
  anchor(0, [10, 10, 10, 10], [0.9, 0, 0]);
  anchor(1, [40, 10, 10, 10], [0, 0.5, 0]);
  anchor(2, [70, 10, 10, 10], [0, 0, 0.3]);
  anchor(3, [10, 70, 10, 10], [0.35, 0, 0]);
  const reading = readYoloLayout([1, 7, 4], 'v8');
  const labels = ['person', 'car', 'dog'];
  const found = (extra) => decodeYolo(data, reading, { ...options, confidence: 0.4, ...extra }, labels).map((d) => `${d.label} ${d.score}`);

  it('keeps only the listed labels', () => {
    assert.deepEqual(found({}), ['person 0.8999999761581421', 'car 0.5']);
    assert.deepEqual(found(classSettings('car, dog', '')), ['car 0.5']);
  });

  it('lets a label have its own threshold, lower or higher than the confidence', () => {
    assert.deepEqual(found(classSettings('', 'dog: 0.25, car: 0.6')), ['person 0.8999999761581421', 'dog 0.30000001192092896']);
    assert.deepEqual(found(classSettings('', 'person:0.3')), ['person 0.8999999761581421', 'car 0.5', 'person 0.3499999940395355']);
  });

  it('names a malformed threshold list', () => {
    assert.deepEqual(classSettings(' person ,car,', ' person : 0.5 '), { classes: ['person', 'car'], classThresholds: { person: 0.5 } });
    for (const bad of ['person', 'person: 2', ': 0.5', 'person: ']) {
      assert.throws(() => classSettings('', bad), /Setting "classThresholds" must be comma-separated label: score pairs/, bad);
    }
  });
});

describe('YuNet faces', () => {
  // A 32x32 input: 16 cells at stride 8, 4 at stride 16, 1 at stride 32.
  const outputs = () => {
    const out = {};
    for (const [stride, cells] of [[8, 16], [16, 4], [32, 1]]) {
      for (const [kind, size] of [['cls', 1], ['obj', 1], ['bbox', 4], ['kps', 10]]) out[`${kind}_${stride}`] = { data: new Float32Array(cells * size), dims: [1, cells, size] };
    }
    return out;
  };

  it('decodes score, box and five landmarks from cell offsets', () => {
    const out = outputs();
    // Stride-16 cell (column 1, row 1) = cell 3: cls 0.81 x obj 1 gives score 0.9.
    out.cls_16.data[3] = 0.81;
    out.obj_16.data[3] = 1;
    out.bbox_16.data.set([0.5, 0.25, Math.log(1), Math.log(0.5)], 12);
    out.kps_16.data.set([0.25, 0.25, 0.75, 0.25, 0.5, 0.5, 0.3, 0.7, 0.7, 0.7], 30);
    // A weak one: sqrt(0.1 * 0.1) = 0.1.
    out.cls_8.data[0] = 0.1;
    out.obj_8.data[0] = 0.1;
    const [face, ...rest] = decodeYunet(out, 32, 32, { ...options, confidence: 0.5 });
    assert.equal(rest.length, 0);
    assert.equal(face.label, 'face');
    assert.ok(Math.abs(face.score - 0.9) < 1e-6);
    const box = [face.box.x, face.box.y, face.box.w, face.box.h];
    assert.ok(box.every((v, i) => Math.abs(v - [16, 16, 16, 8][i]) < 1e-4), `box ${box}`);
    assert.ok(face.points.every((p, i) => Math.abs(p.x - [20, 28, 24, 20.8, 27.2][i]) < 1e-4 && Math.abs(p.y - [20, 20, 24, 27.2, 27.2][i]) < 1e-4));
  });

  it('names the outputs it needs', () => {
    const out = outputs();
    delete out.kps_32;
    assert.throws(() => decodeYunet(out, 32, 32, options), /kps_32 \[1, 1, 10\] for a 32x32 input/);
  });
});

describe('BlazeFace faces', () => {
  // A 32x32 input with a fine 4x4 grid (2 anchors per cell, 32 anchors) and a coarse 2x2 grid
  // (6 per cell, 24 anchors); anchor centres sit in the middle of their cells.
  const output = (anchors, size) => ({ data: new Float32Array(anchors * size), dims: [1, anchors, size] });

  it('decodes box and six landmarks around the anchor centre, with sigmoid scores', () => {
    const scores = [output(32, 1), output(24, 1)];
    for (const s of scores) s.data.fill(-10); // logits: no face
    const regressors = [output(32, 16), output(24, 16)];
    // Coarse grid, cell (column 1, row 0), its third anchor: index (0 * 2 + 1) * 6 + 2 = 8; centre (24, 8).
    scores[1].data[8] = 2; // sigmoid 0.881
    regressors[1].data.set([1, -2, 10, 12, 0, 0, 2, 0, 1, 2, 1, 4, -4, 0, 4, 0], 8 * 16);
    scores[0].data[5] = -3; // sigmoid 0.047: below the threshold
    const [face, ...rest] = decodeBlazeFace(scores, regressors, 32, 32, { ...options, confidence: 0.5 });
    assert.equal(rest.length, 0);
    assert.ok(Math.abs(face.score - 1 / (1 + Math.exp(-2))) < 1e-6);
    assert.deepEqual(face.box, { x: 25 - 5, y: 6 - 6, w: 10, h: 12 });
    assert.deepEqual(face.points.map((p) => [p.x, p.y]), [[24, 8], [26, 8], [25, 10], [25, 12], [20, 8], [28, 8]]);
  });

  it('says what it expected when the outputs do not fit a grid', () => {
    assert.throws(() => decodeBlazeFace([output(30, 1)], [output(30, 16)], 32, 32, options), /scores \[1, N, 1\] and regressors \[1, N, 16\] for a grid of 2 anchors per cell/);
  });
});

describe('NMS inside the model', () => {
  it('reads [1, K, 6] rows as corners, score and class, skipping the zero padding', () => {
    const rows = [
      [10, 20, 50, 80, 0.9, 1],
      [12, 22, 52, 82, 0.8, 1], // overlaps the first: the model kept it, so do we
      [0, 0, 5, 5, 0.1, 0], // below the confidence
      [0, 0, 0, 0, 0, 0], // padding
    ];
    const found = decodeEndToEnd({ data: Float32Array.from(rows.flat()), dims: [1, 4, 6] }, 640, 640, options, ['cat', 'dog']);
    assert.deepEqual(found.map((d) => [d.label, d.score.toFixed(1), d.box]), [['dog', '0.9', box(10, 20, 40, 60)], ['dog', '0.8', box(12, 22, 40, 60)]]);
  });

  it('reads [K, 7] rows with the batch first and the score last, and scales relative corners', () => {
    const rows = [[0, 0.1, 0.2, 0.5, 0.6, 2, 0.7], [1, 0.1, 0.1, 0.2, 0.2, 0, 0.9]];
    const [only, ...rest] = decodeEndToEnd({ data: Float32Array.from(rows.flat()), dims: [2, 7] }, 100, 50, { ...options, maxDetections: 5 });
    assert.equal(rest.length, 0, 'batch 1 is not ours');
    assert.deepEqual([only.label, only.classId], ['class 2', 2]);
    for (const [got, want] of [[only.box.x, 10], [only.box.y, 10], [only.box.w, 40], [only.box.h, 20]]) assert.ok(Math.abs(got - want) < 1e-4, `${got} vs ${want}`);
  });

  it('names the shapes it reads', () => {
    assert.throws(() => decodeEndToEnd({ data: new Float32Array(10), dims: [1, 2, 5] }, 64, 64, options), /\[1, K, 6\] as x1, y1, x2, y2, score, class/);
  });
});

describe('TF Object Detection outputs', () => {
  const outputs = (rows, count) => ({
    boxes: { data: Float32Array.from(rows.flatMap((r) => r.box)), dims: [1, rows.length, 4] },
    classes: { data: Float32Array.from(rows.map((r) => r.id)), dims: [1, rows.length] },
    scores: { data: Float32Array.from(rows.map((r) => r.score)), dims: [1, rows.length] },
    count: { data: Float32Array.of(count), dims: [1] },
  });
  const rows = [
    { box: [0.1, 0.2, 0.5, 0.6], id: 1, score: 0.9 }, // ymin, xmin, ymax, xmax
    { box: [0.0, 0.0, 0.2, 0.2], id: 3, score: 0.6 },
    { box: [0.3, 0.3, 0.4, 0.4], id: 1, score: 0.8 }, // past num_detections
  ];

  it('reads ymin-first relative boxes and 1-based label-map ids, up to num_detections', () => {
    const found = decodeTfDetection(outputs(rows, 2), 200, 100, options, ['person', 'bicycle', 'car']);
    assert.deepEqual(found.map((d) => [d.label, d.classId]), [['person', 0], ['car', 2]]);
    const [person] = found;
    for (const [got, want] of [[person.box.x, 40], [person.box.y, 10], [person.box.w, 80], [person.box.h, 40]]) assert.ok(Math.abs(got - want) < 1e-4, `${got} vs ${want}`);
  });

  it('indexes labels by id when they start with a background entry', () => {
    assert.equal(labelIndexOffset(['background', 'person']), 0);
    assert.equal(labelIndexOffset(['person', 'bicycle']), 1);
    const found = decodeTfDetection(outputs(rows, 3), 10, 10, options, ['???', 'person', 'bicycle', 'car']);
    assert.deepEqual(found.map((d) => d.label), ['person', 'person', 'car']);
  });

  it('names the shapes it reads', () => {
    const bad = outputs(rows, 3);
    bad.boxes.data = new Float32Array(5);
    assert.throws(() => decodeTfDetection(bad, 10, 10, options), /boxes \[1, N, 4\], classes \[1, N\] and scores \[1, N\]/);
  });
});

describe('pose keypoints', () => {
  it('MoveNet single pose: 17 named keypoints from y, x, score, a box around the sure ones', () => {
    const data = new Float32Array(17 * 3);
    for (let k = 0; k < 17; k++) data.set([0.2 + k * 0.02, 0.4 + (k % 2) * 0.1, 0.9], k * 3);
    data.set([0.95, 0.95, 0.05], 16 * 3); // right ankle unsure: outside the box
    const [person, ...rest] = decodeMoveNet({ data, dims: [1, 1, 17, 3] }, 200, 100, { ...options, confidence: 0.3 });
    assert.equal(rest.length, 0);
    assert.equal(person.label, 'person');
    assert.equal(person.points.length, 17);
    assert.deepEqual([person.points[0].name, person.points[0].x.toFixed(3), person.points[0].y.toFixed(3)], ['nose', '80.000', '20.000']);
    assert.ok(Math.abs(person.score - (16 * 0.9 + 0.05) / 17) < 1e-6);
    assert.ok(Math.abs(person.box.y + person.box.h - (0.2 + 15 * 0.02) * 100) < 1e-4, 'the box ends at the last sure keypoint');
    assert.ok(Math.abs(person.box.w - 0.1 * 200) < 1e-4);
  });

  it('MoveNet multi-pose: a box and score per person, below-threshold people dropped', () => {
    const data = new Float32Array(2 * 56);
    data.set([0.1, 0.2, 0.5, 0.6, 0.8], 51); // person 0: ymin, xmin, ymax, xmax, score
    data.set([0, 0, 1, 1, 0.1], 56 + 51);
    const found = decodeMoveNet({ data, dims: [1, 2, 56] }, 100, 100, options);
    assert.equal(found.length, 1);
    for (const [got, want] of [[found[0].box.x, 20], [found[0].box.y, 10], [found[0].box.w, 40], [found[0].box.h, 40]]) assert.ok(Math.abs(got - want) < 1e-4);
    assert.throws(() => decodeMoveNet({ data: new Float32Array(50), dims: [1, 50] }, 10, 10, options), /\[1, 1, 17, 3\] \(single pose\) or \[1, P, 56\]/);
  });

  it('Ultralytics pose [1, 5+51, N]: keypoints after the class score, mapped to source pixels with the box', () => {
    const anchors = 3;
    const values = 5 + 17 * 3;
    const data = new Float32Array(values * anchors);
    const set = (anchor, list) => list.forEach((v, k) => { data[k * anchors + anchor] = v; });
    const keypoints = Array.from({ length: 17 }, (_, k) => [100 + k, 200 + k, 0.5]).flat();
    set(1, [160, 240, 40, 80, 0.9, ...keypoints]);
    set(2, [10, 10, 4, 4, 0.1, ...keypoints]);
    const setup = { detector: 'yolo', yoloLayout: 'auto', inputWidth: 320, inputHeight: 320, first: 'out', keypoints: 17 };
    // Letterbox of a 640x480 frame into 320x320: scale 0.5, 40 px of padding above.
    const transform = { srcWidth: 640, srcHeight: 480, width: 320, height: 320, mode: 'letterbox', scale: 0.5, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 40 };
    const [person, ...rest] = decodeDetections({ out: { data, dims: [1, values, anchors] } }, setup, options, ['person'], transform);
    assert.equal(rest.length, 0);
    assert.deepEqual(person.box, box(280, 320, 80, 160));
    assert.deepEqual(person.points[3], { x: 206, y: 326, score: 0.5, name: 'left_ear' });
  });
});
