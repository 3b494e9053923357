'use strict';
// edge-ai-annotate on a real detection: YOLOv8n on kite_and_cold.jpg, drawn and checked by
// sampling the pixels where the boxes are.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sharp = require('sharp');
const { helper, load, collect } = require('../helpers/flow');
const { images } = require('../helpers/paths');
const { colourFor, annotationSvg } = require('../../dist/lib/annotate');

const PHOTO = path.join(images, 'kite_and_cold.jpg');
const rgbOf = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

describe('annotate node', function () {
  this.timeout(60000);
  afterEach(() => helper.unload());

  const flow = (annotate = {}) => [
    { id: 'model', type: 'edge-ai-model', path: '${EDGE_AI_MODELS}/detection/yolov8n_640_agpl.onnx' },
    { id: 'cam', type: 'edge-ai-camera', source: 'file', path: PHOTO, mode: 'ondemand', wires: [['pre']] },
    { id: 'pre', type: 'edge-ai-preprocess', settings: 'model', model: 'model', wires: [['infer']] },
    { id: 'infer', type: 'edge-ai-infer', model: 'model', mode: 'batch', confidence: 0.4, wires: [['draw', 'detections']] },
    { id: 'draw', type: 'edge-ai-annotate', ...annotate, wires: [['out']] },
    { id: 'detections', type: 'helper' },
    { id: 'out', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];

  it('draws each box in its class colour on kite_and_cold.jpg, and leaves the rest of the photo alone', async () => {
    await load(flow());
    const detected = collect('detections', 1);
    const drawn = collect('out', 1);
    helper.getNode('cam').receive({});
    const [{ payload: detections, annotations }] = await detected;
    const [msg] = await drawn;
    // The infer node's annotations: the node-red-node-annotate-image shape.
    assert.equal(annotations.length, detections.length);
    assert.deepEqual(annotations[0].bbox, [detections[0].box.x, detections[0].box.y, detections[0].box.w, detections[0].box.h]);
    assert.match(annotations[0].label, new RegExp(`^${detections[0].label} \\d+%$`));

    const saved = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-annotate-')), 'kite_and_cold_annotated.jpg');
    fs.writeFileSync(saved, msg.payload);
    const meta = await sharp(saved).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 1352, 900]);
    assert.deepEqual(msg.detections, detections);

    const pixels = async (file) => sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const after = await pixels(saved);
    const before = await pixels(PHOTO);
    const at = (img, x, y) => { const i = (Math.round(y) * img.info.width + Math.round(x)) * 3; return [img.data[i], img.data[i + 1], img.data[i + 2]]; };
    const distance = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    // Left edge of each sizeable box, half way down (clear of the label tab): the class colour.
    const boxes = detections.filter((d) => d.box.h > 60 && d.box.x > 3);
    assert.ok(boxes.length >= 3, `boxes to check: ${boxes.length}`);
    for (const d of boxes) {
      const edge = at(after, d.box.x, d.box.y + d.box.h / 2);
      assert.ok(distance(edge, rgbOf(colourFor(d.classId))) <= 40, `${d.label} box edge ${edge} vs ${colourFor(d.classId)}`);
    }
    // Far from every box the photo is unchanged but for JPEG re-encoding.
    const clear = [[5, 450], [700, 880], [1340, 450]].filter(([x, y]) => detections.every((d) => x < d.box.x - 40 || x > d.box.x + d.box.w + 40 || y < d.box.y - 60 || y > d.box.y + d.box.h + 40));
    assert.ok(clear.length >= 1);
    for (const [x, y] of clear) assert.ok(distance(at(after, x, y), at(before, x, y)) <= 20, `untouched at ${x},${y}`);
  });

  it('after a trigger, draws what its second output carries on every frame: the stop sign when seen, nothing else', async () => {
    // As the README and example 04 wire it, on the test pattern (a clock on every frame, a stop
    // sign crossing the picture, sometimes a frisbee).
    await load([
      { id: 'model', type: 'edge-ai-model', path: '${EDGE_AI_MODELS}/detection/yolov8n_640_agpl.onnx' },
      { id: 'cam', type: 'edge-ai-camera', source: 'pattern', mode: 'continuous', fps: 4, width: 640, height: 480, wires: [['pre']] },
      { id: 'pre', type: 'edge-ai-preprocess', settings: 'model', model: 'model', wires: [['infer']] },
      { id: 'infer', type: 'edge-ai-infer', model: 'model', mode: 'batch', confidence: 0.4, wires: [['trig', 'seen']] },
      { id: 'trig', type: 'edge-ai-trigger', labels: 'stop sign', minScore: 0.5, minCount: 1, hold: 2, cooldown: 0, wires: [[], ['draw']] },
      { id: 'draw', type: 'edge-ai-annotate', wires: [['out']] },
      { id: 'seen', type: 'helper' },
      { id: 'out', type: 'helper' },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const seen = collect('seen', 48, 90000);
    const drawn = collect('out', 48, 90000);
    const [found, frames] = await Promise.all([seen, drawn]);
    helper.getNode('cam').receive({ payload: 'stop' });
    const labelsOf = (list) => list.map((a) => a.label.replace(/ \d+%$/, ''));
    for (const msg of frames) {
      assert.ok(Buffer.isBuffer(msg.payload), 'an annotated JPEG');
      assert.ok(labelsOf(msg.annotations).every((l) => l === 'stop sign'), `frame ${msg.frame.seq} drew ${labelsOf(msg.annotations)}`);
    }
    const withSign = frames.filter((m) => m.annotations.length > 0);
    const withoutSign = frames.filter((m) => m.annotations.length === 0);
    assert.ok(withSign.length > 0 && withoutSign.length > 0, `frames with the sign drawn: ${withSign.length} of ${frames.length}`);
    // The model saw more than the trigger's label on the frames where nothing was drawn.
    const others = found.filter((m) => withoutSign.some((w) => w.frame.seq === m.frame.seq)).flatMap((m) => m.payload.map((d) => d.label));
    assert.ok(others.includes('clock'), `the model found ${[...new Set(others)]} where nothing was drawn`);
  });

  it('draws a msg.annotations list from elsewhere, and says what is missing', async () => {
    await load([
      { id: 'draw', type: 'edge-ai-annotate', wires: [['out']] },
      { id: 'out', type: 'helper' },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const image = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#000' } }).jpeg().toBuffer();
    const out = collect('out', 1);
    helper.getNode('draw').receive({ payload: 'not detections', image, annotations: [{ bbox: [50, 30, 100, 60], stroke: '#00ff00', lineWidth: 6 }, { type: 'circle', x: 20, y: 20, r: 8, stroke: '#ff0000' }, { type: 'line', points: [[160, 10], [190, 10], [190, 90]], stroke: '#0000ff', lineWidth: 8 }] });
    const [msg] = await out;
    const { data, info } = await sharp(msg.payload).raw().toBuffer({ resolveWithObject: true });
    const px = (x, y) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
    assert.ok(px(50, 60)[1] > 180 && px(50, 60)[0] < 80, `green rect edge: ${px(50, 60)}`);
    assert.ok(px(20, 20)[0] > 180 && px(20, 20)[1] < 80, `red circle: ${px(20, 20)}`);
    assert.ok(px(100, 60).every((v) => v < 40), 'inside the rect stays black');
    assert.ok(px(175, 10)[2] > 180 && px(190, 50)[2] > 180 && px(175, 50)[2] < 60, `blue polyline: ${px(175, 10)} ${px(190, 50)} ${px(175, 50)}`);

    for (const [input, expected] of [
      [{ payload: 'text', image }, /Expected detections .* in msg.payload or a list in msg.annotations but received string/],
      [{ payload: [], annotations: [{ bbox: [1, 2] }], image }, /Annotation 0 in msg.annotations cannot be drawn: a rect needs bbox/],
      [{ payload: [], annotations: [{ type: 'line', points: [[1, 2]] }], image }, /Annotation 0 in msg.annotations cannot be drawn: a line needs points/],
      [{ payload: [], annotations: [], image: 'nope' }, /Expected the frame to draw on in msg.image .* but received string/],
    ]) {
      const caught = collect('caught', 1, 5000);
      helper.getNode('draw').receive(input);
      assert.match((await caught)[0].error.message, expected);
    }
  });

  it('escapes label text so a label cannot break the drawing', () => {
    const svg = annotationSvg([{ bbox: [0, 20, 10, 10], label: '<b>"x" & y</b>' }], 100, 100, { lineWidth: 0, fontSize: 0 });
    assert.ok(svg.includes('&#60;b&#62;&#34;x&#34; &#38; y&#60;/b&#62;'));
    assert.ok(!svg.includes('<b>'));
  });
});
