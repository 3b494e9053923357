'use strict';
// Detector layouts the shared assets have no model for (NMS inside the model, TF Object
// Detection, MoveNet and Ultralytics pose), through the whole Node-RED pipeline: tiny models
// that answer with fixed outputs, so the boxes and keypoints they must give are known.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sharp = require('sharp');
const { helper, load, collect } = require('../helpers/flow');
const { images, models } = require('../helpers/paths');
const { fixedOutputModel } = require('../helpers/onnx-builder');
const { boxToSource, pointToSource } = require('../../dist/lib/image');
const { colourFor } = require('../../dist/lib/annotate');

const PHOTO = path.join(images, 'kite_and_cold.jpg'); // 1352x900
const near = (got, want, what) => assert.ok(Math.abs(got - want) < 0.01, `${what}: ${got} vs ${want}`);
const sameBox = (got, want) => ['x', 'y', 'w', 'h'].forEach((k) => near(got[k], want[k], `box ${k}`));

/** 17 keypoints as MoveNet gives them (y, x, score), all at `score` unless overridden. */
function moveNetKeypoints(score, over = {}) {
  return Array.from({ length: 17 }, (_, k) => over[k] ?? [0.4 + k * 0.01, 0.5, score]).flat();
}

describe('detector layouts without a model in the assets', function () {
  this.timeout(60000);
  let tmp;
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-layouts-')); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  afterEach(() => helper.unload());

  /**
   * Write the model, run one photo through camera, preprocess (from the model) and infer.
   * @param {string} name
   * @param {*} model
   * @param {{ photo?: string, modelNode?: object, infer?: object, annotate?: boolean }} [options]
   */
  async function detect(name, model, { photo = PHOTO, modelNode = {}, infer = {}, annotate } = {}) {
    const file = path.join(tmp, `${name}.onnx`);
    fs.writeFileSync(file, model);
    await load([
      { id: 'model', type: 'edge-ai-model', path: file, ...modelNode },
      { id: 'cam', type: 'edge-ai-camera', source: 'file', path: photo, mode: 'ondemand', wires: [['pre']] },
      { id: 'pre', type: 'edge-ai-preprocess', settings: 'model', model: 'model', wires: [['infer']] },
      { id: 'infer', type: 'edge-ai-infer', model: 'model', mode: 'batch', confidence: 0.5, ...infer, wires: [annotate ? ['draw'] : ['out']] },
      { id: 'draw', type: 'edge-ai-annotate', ...annotate, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const got = collect('out', 1);
    helper.getNode('cam').receive({});
    const [msg] = await got;
    return msg;
  }

  it('NMS inside the model: [1, K, 6] rows in input pixels come out as labelled boxes in frame pixels', async () => {
    const rows = [
      [8, 16, 40, 48, 0.9, 1],
      [10, 18, 42, 50, 0.8, 1], // overlapping, kept by the model, so kept here
      [0, 0, 4, 4, 0.3, 0], // below the confidence
      [0, 0, 0, 0, 0, 0], // padding
    ];
    const msg = await detect('end-to-end', fixedOutputModel({
      input: ['images', 'float32', [1, 3, 64, 64]],
      outputs: [['output0', 'float32', [1, 4, 6], rows.flat()]],
      metadata: { names: "{0: 'person', 1: 'car'}" },
    }));
    assert.deepEqual(msg.payload.map((d) => [d.label, +d.score.toFixed(2)]), [['car', 0.9], ['car', 0.8]]);
    assert.equal(msg.transform.mode, 'letterbox');
    sameBox(msg.payload[0].box, boxToSource({ x: 8, y: 16, w: 32, h: 32 }, msg.transform));
  });

  it('TF Object Detection: ymin-first relative boxes, int64 label-map ids, num_detections, a dynamic input fed at 300x300', async () => {
    const msg = await detect('tf-detection', fixedOutputModel({
      input: ['input_tensor', 'uint8', [1, 'height', 'width', 3]],
      outputs: [
        ['detection_boxes', 'float32', [1, 3, 4], [0.1, 0.2, 0.5, 0.6, 0.0, 0.0, 0.25, 0.25, 0.5, 0.5, 1, 1]],
        ['detection_classes', 'int64', [1, 3], [1, 3, 1]],
        ['detection_scores', 'float32', [1, 3], [0.9, 0.7, 0.95]],
        ['num_detections', 'float32', [1], [2]],
      ],
    }), { modelNode: { labelsSource: 'file', labelsFile: path.join(models, 'tflite', 'coral-coco_labels.txt') } });
    assert.deepEqual(msg.payload.map((d) => d.label), ['person', 'car'], 'the third row is past num_detections');
    assert.deepEqual([msg.transform.width, msg.transform.height, msg.transform.mode], [300, 300, 'stretch']);
    sameBox(msg.payload[0].box, { x: 0.2 * 1352, y: 0.1 * 900, w: 0.4 * 1352, h: 0.4 * 900 });
  });

  it('MoveNet single pose: 17 named keypoints in frame pixels, and annotate draws the skeleton without the unsure limbs', async () => {
    // A black 320x320 frame: limbs in the person colour are easy to find on it.
    const frame = path.join(tmp, 'black.png');
    await sharp({ create: { width: 320, height: 320, channels: 3, background: '#000' } }).png().toFile(frame);
    const keypoints = moveNetKeypoints(0.9, {
      5: [0.3, 0.3, 0.9], // left shoulder
      7: [0.6, 0.3, 0.9], // left elbow: the limb 5-7 runs down x = 96
      8: [0.5, 0.8, 0.9], // right elbow
      10: [0.8, 0.8, 0.1], // right wrist, unsure: neither it nor the limb 8-10 is drawn
    });
    const msg = await detect('movenet', fixedOutputModel({
      input: ['input', 'float32', [1, 32, 32, 3]],
      outputs: [['output_0', 'float32', [1, 1, 17, 3], keypoints]],
    }), { photo: frame, annotate: { lineWidth: 8 }, infer: { confidence: 0.3 } });
    const [person] = msg.detections;
    assert.equal(person.label, 'person');
    assert.equal(person.points.length, 17);
    assert.equal(person.points[5].name, 'left_shoulder');
    const expected = pointToSource(0.3 * 32, 0.3 * 32, { srcWidth: 320, srcHeight: 320, scaleX: 0.1, scaleY: 0.1, padX: 0, padY: 0 });
    near(person.points[5].x, expected.x, 'shoulder x');
    near(person.points[5].y, expected.y, 'shoulder y');
    assert.ok(msg.annotations.some((a) => a.type === 'line'), 'the skeleton is in what was drawn');

    const { data, info } = await sharp(msg.payload).raw().toBuffer({ resolveWithObject: true });
    const px = (x, y) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
    const red = [1, 3, 5].map((i) => parseInt(colourFor(0).slice(i, i + 2), 16));
    const close = (a, b) => a.every((v, i) => Math.abs(v - b[i]) <= 40);
    assert.ok(close(px(96, 144), red), `limb 5-7 half way: ${px(96, 144)}`);
    assert.ok(px(256, 208).every((v) => v < 40), `limb 8-10 not drawn: ${px(256, 208)}`);
    assert.ok(px(256, 256).every((v) => v < 40), `unsure wrist not drawn: ${px(256, 256)}`);
  });

  it('Ultralytics pose [1, 56, N]: box, score and 17 keypoints per person, after NMS', async () => {
    const anchors = 21; // a 32x32 input: 4x4 + 2x2 + 1x1 cells
    const values = new Float32Array(56 * anchors);
    const set = (anchor, list) => list.forEach((v, k) => { values[k * anchors + anchor] = v; });
    const keypoints = Array.from({ length: 17 }, (_, k) => [10 + k * 0.5, 8 + k, 0.8]).flat();
    set(3, [16, 16, 10, 20, 0.9, ...keypoints]);
    set(4, [16.5, 16, 10, 20, 0.85, ...keypoints]); // the same person again: suppressed
    const msg = await detect('yolo-pose', fixedOutputModel({
      input: ['images', 'float32', [1, 3, 32, 32]],
      outputs: [['output0', 'float32', [1, 56, anchors], [...values]]],
      metadata: { task: 'pose', kpt_shape: '[17, 3]', names: "{0: 'person'}" },
    }));
    assert.equal(msg.payload.length, 1);
    const [person] = msg.payload;
    assert.deepEqual([person.label, +person.score.toFixed(2), person.points.length], ['person', 0.9, 17]);
    sameBox(person.box, boxToSource({ x: 11, y: 6, w: 10, h: 20 }, msg.transform));
    const ankle = pointToSource(18, 24, msg.transform);
    assert.deepEqual([person.points[16].name, +person.points[16].score.toFixed(2)], ['right_ankle', 0.8]);
    near(person.points[16].x, ankle.x, 'ankle x');
    near(person.points[16].y, ankle.y, 'ankle y');
  });
});
