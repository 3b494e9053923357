'use strict';
// edge-ai-model-update in a real Node-RED runtime, feeding a model node whose source is "Signed
// updates": bundles applied and swapped in under a 10 fps camera flow with no frame failed or
// lost, every refusal the issue names with the old model serving and a clear status, the
// rollbacks (a version that does not load, a version whose runs fail), and URL polling with
// If-None-Match.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { helper, load } = require('../helpers/flow');
const { images, assets } = require('../helpers/paths');
const { buildModel, tinyClassifier } = require('../helpers/onnx-builder');
const { contrary, makeBundle, flip } = require('../helpers/bundles');
const { until, delay } = require('../helpers/wait');
const { generateSigningKeys } = require('../../dist/lib/update');

const VIDEO = path.join(assets, 'media', 'video', 'vtest_10s_640x480_h264.mp4');
const GOLDEN = ['orange.jpg', 'apple.jpg', 'fruits.jpg'].map((f) => path.join(images, f));
const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
/** tinyClassifier with other bytes (a metadata note): the same answers, another SHA-256. */
const variant = (n) => tinyClassifier(8, { variant: String(n) });

/**
 * tinyClassifier's answers, but a run fails when the tensor's largest value is 3 or more (a
 * Gather past the end of a 3-row table): the golden photos (values 0..1) pass, a bright frame fails.
 */
const fragile = () => buildModel({
  nodes: [
    ['ReduceMean', ['image'], ['mean'], { axes: [2, 3], keepdims: 0 }],
    ['ReduceMax', ['image'], ['max'], { keepdims: 0 }],
    ['Floor', ['max'], ['floor']],
    ['Cast', ['floor'], ['row'], { to: 7 }],
    ['Gather', ['table', 'row'], ['picked'], { axis: 0 }],
    ['Unsqueeze', ['picked', 'axes'], ['offset']],
    ['Add', ['mean', 'offset'], ['scores']],
  ],
  initializers: [['table', 'float32', [3, 3], new Array(9).fill(0)], ['axes', 'int64', [1], [0]]],
  inputs: [['image', 'float32', [1, 3, 8, 8]]],
  outputs: [['scores', 'float32', [1, 3]]],
});

/** A float32 [1,3,8,8] tensor of one value, as edge-ai-preprocess would send it. */
const tensor = (value = 0.5) => ({ data: Buffer.from(new Float32Array(192).fill(value).buffer), dims: [1, 3, 8, 8], type: 'float32' });

describe('edge-ai-model-update in a flow', function () {
  this.timeout(300000);
  let dir;
  let userDir;
  let keys;
  let other;
  const bundle = (file, version, bytes, options = {}) => makeBundle(dir, { file, version, bytes, key: keys, golden: GOLDEN, ...options });

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-update-flow-'));
    keys = generateSigningKeys();
    other = generateSigningKeys();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-update-user-'));
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  /** The model node fed by updates, the update node (settings `over`), an infer node, a Catch node. */
  async function start(over = {}, extra = [], publicKeys = keys.publicPem) {
    await load([
      { id: 'model', type: 'edge-ai-model', source: 'update', update: 'tiny', task: 'classification', labelsSource: 'none' },
      { id: 'update', type: 'edge-ai-model-update', model: 'model', device: 'pi-1', maxMegabytes: 1, ...over, wires: [['status']] },
      { id: 'status', type: 'helper' },
      { id: 'infer', type: 'edge-ai-infer', model: 'model', mode: 'batch', queueSize: 1000, topK: 1, wires: [['out']] },
      { id: 'out', type: 'helper' },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
      ...extra,
    ], { update: { publicKeys } });
    // The status at deploy comes a moment later (an mqtt out must connect first): wait for it,
    // so that it is not taken for the answer to a bundle.
    return new Promise((resolve) => helper.getNode('status').once('input', resolve));
  }

  /** The status a node shows now (the helper's status spy is shared by all nodes). */
  function shownBy(id) {
    const node = helper.getNode(id);
    return node.status.getCalls().filter((c) => c.thisValue === node).pop().args[0];
  }

  /** Every msg a helper node gets, from now on. */
  function record(id) {
    const got = [];
    helper.getNode(id).on('input', (msg) => got.push(msg));
    return got;
  }

  /** Send a bundle to the update node; resolves with the status msg it leads to and the error a Catch node saw, if any. */
  async function deliver(bytes, statuses, caught) {
    const [s, c] = [statuses.length, caught.length];
    helper.getNode('update').receive({ payload: bytes });
    await until(() => statuses.length > s, 'a status message', 60000);
    await delay(50); // the error, when there is one, follows the status in the same turn
    return { status: statuses[statuses.length - 1], error: caught.length > c ? caught[caught.length - 1].error.message : undefined };
  }

  /** Run one tensor through the infer node; resolves with the msg out or the error. */
  async function infer(outs, caught, value = 0.5) {
    const [o, c] = [outs.length, caught.length];
    helper.getNode('infer').receive({ payload: tensor(value) });
    await until(() => outs.length > o || caught.length > c, 'an inference', 30000);
    return outs.length > o ? { sha256: outs[outs.length - 1].inference.sha256 } : { error: caught[caught.length - 1].error.message };
  }

  it('waits for the first bundle, applies it, and refuses each bad bundle with the old model serving and a clear status', async () => {
    const deployed = await start({ revoked: other.id }, [], `${keys.publicPem}\n${other.publicPem}`);
    const [statuses, outs, caught] = [record('status'), record('out'), record('caught')];
    assert.deepEqual(deployed.payload, { device: 'pi-1' });
    assert.deepEqual([deployed.topic, deployed.retain, deployed.qos], ['edge-ai/status/pi-1/tiny', true, 1]);
    assert.equal(shownBy('update').text, 'edge-ai-model-update.status.waiting');

    const v1 = await bundle('v1', '1.0', variant(1));
    let { status, error } = await deliver(v1, statuses, caught);
    assert.equal(error, undefined);
    assert.equal(status.payload.version, '1.0');
    assert.equal(status.payload.sha256, sha256(variant(1)));
    assert.deepEqual([status.payload.last.result, status.payload.model], ['applied', 'tiny']);
    assert.deepEqual(await infer(outs, caught), { sha256: sha256(variant(1)) }, 'the first version serves');
    assert.ok(fs.existsSync(path.join(userDir, 'edge-ai-updates', 'tiny', 'current.model')));

    const v3 = await bundle('v3', '3.0', variant(3));
    const day = 86400000;
    const refusals = [
      ['one bit flipped', flip(await bundle('flipped', '2.0', variant(2)), 3000), /signature does not match its contents/],
      ['a wrong key', await bundle('foreign', '2.0', variant(2), { key: generateSigningKeys() }), /which this device does not trust/],
      ['a revoked key', await bundle('revoked', '2.0', variant(2), { key: other }), new RegExp(`signed by key ${other.id}, which is revoked`)],
      ['an expired manifest', await bundle('expired', '2.0', variant(2), { now: new Date(Date.now() - 200 * day), expires: new Date(Date.now() - 100 * day) }), /it expired at/],
      ['a lower version', await bundle('older', '0.9', variant(0)), /version 0.9 is older than 1.0, applied before/],
      ['golden frames answered otherwise', await bundle('contrary', '2.0', contrary(), { goldenFrom: variant(1) }), /answers golden frame golden\/00\d\.jpg with top-1 class \d, expected \d/],
      ['a bundle over the size cap', await bundle('large', '2.0', variant(2), { golden: [...GOLDEN, path.join(images, 'kite_and_cold.jpg')] }), /it is \d+ bytes, over this device's cap of 1000000/],
      ['a truncated download', v3.subarray(0, v3.length - 1000), /truncated/],
      ['another model\'s bundle', await bundle('other-name', '2.0', variant(2), { name: 'yard' }), /holds model "yard", and this device takes bundles for "tiny"/],
    ];
    for (const [what, bytes, reason] of refusals) {
      ({ status, error } = await deliver(bytes, statuses, caught));
      assert.match(error ?? '', reason, `${what}: the Catch node gets the reason`);
      assert.match(error, /The model bundle was refused because .*; the model in use stays/, what);
      assert.equal(status.payload.last.result, 'refused', what);
      assert.match(status.payload.last.reason, reason, what);
      assert.equal(status.payload.version, '1.0', `${what}: the status still says 1.0`);
      const shown = shownBy('update');
      assert.equal(shown.fill, 'red', what);
      assert.deepEqual(await infer(outs, caught), { sha256: sha256(variant(1)) }, `${what}: the old model serves`);
    }
    assert.deepEqual(fs.readdirSync(path.join(userDir, 'edge-ai-updates', 'tiny', 'staging')), [], 'nothing left in staging');
    // Not a bundle at all: refused before anything is read.
    helper.getNode('update').receive({ payload: 'hello' });
    await until(() => caught.length && /Expected a signed model bundle as a Buffer in msg.payload .* but received .*hello/.test(caught[caught.length - 1].error.message), 'the input error');

    // The good one after all that, and the same bundle again (a retained message on reconnect) changes nothing.
    ({ status, error } = await deliver(v3, statuses, caught));
    assert.equal(error, undefined);
    assert.deepEqual([status.payload.version, status.payload.previous, status.payload.last.result], ['3.0', '1.0', 'applied']);
    assert.deepEqual(await infer(outs, caught), { sha256: sha256(variant(3)) });
    ({ status, error } = await deliver(v3, statuses, caught));
    assert.equal(error, undefined);
    assert.equal(status.payload.since, statuses[statuses.length - 2].payload.since, 'the same bundle again: not applied again');
  });

  it('a model waiting for its first bundle closes at once on a redeploy (Node-RED would wait 15 s for it)', async () => {
    await start();
    const began = Date.now();
    await helper.unload();
    assert.ok(Date.now() - began < 10000, `closed in ${Date.now() - began} ms`);
  });

  it('swaps 50 versions in during a 10 fps camera flow: no frame failed or lost, each answered by one version', async () => {
    const flow = [
      { id: 'cam', type: 'edge-ai-camera', source: 'video', path: VIDEO, mode: 'continuous', fps: 10, wires: [['pre', 'frames']] },
      { id: 'frames', type: 'helper' },
      { id: 'pre', type: 'edge-ai-preprocess', settings: 'model', model: 'model', wires: [['infer']] },
    ];
    // The first version is installed before the flow starts, as on a device that has run before.
    await start({ maxMegabytes: 5 });
    const [statuses, caught] = [record('status'), record('caught')];
    await deliver(await bundle('s0', '1', variant(100)), statuses, caught);
    await helper.unload();
    await start({ maxMegabytes: 5 }, flow);
    const [frames, outs, statuses2, caught2] = [record('frames'), record('out'), record('status'), record('caught')];
    await until(() => outs.length >= 5, 'the flow running', 60000).catch((err) => {
      const shown = helper.getNode('cam').status.getCalls().map((c) => `${c.thisValue && c.thisValue.id}:${JSON.stringify(c.args[0])}`).slice(-8);
      throw new Error(`${err.message}: ${frames.length} frames, ${outs.length} answers, errors: ${caught2.map((c) => c.error.message).slice(0, 3).join('; ')}; ${shown.join(' ')}`);
    });
    const versions = new Map([[sha256(variant(100)), '1']]);
    const swaps = [];
    for (let v = 2; v <= 51; v++) {
      const bytes = variant(100 + v);
      versions.set(sha256(bytes), String(v));
      const { status, error } = await deliver(await bundle(`s${v}`, String(v), bytes, { golden: GOLDEN.slice(0, 1) }), statuses2, caught2);
      assert.equal(error, undefined, `version ${v}`);
      assert.deepEqual([status.payload.version, status.payload.last.result], [String(v), 'applied'], `version ${v}`);
      swaps.push(outs.length);
    }
    await until(() => outs.some((m, i) => i >= swaps[49] && m.inference.sha256 === sha256(variant(151))), 'the last version answering', 30000);
    helper.getNode('cam').receive({ payload: 'stop' });
    await delay(1500);
    const sent = frames.length;
    await until(() => outs.length + caught2.length >= sent, `answers for all ${sent} frames`, 30000);
    await delay(500);
    assert.equal(caught2.length, 0, `no failed inference: ${caught2.map((c) => c.error.message).join('; ')}`);
    assert.equal(outs.length, frames.length, 'every frame the camera sent was answered once');
    for (const msg of outs) assert.ok(versions.has(msg.inference.sha256), `answered by a known version: ${msg.inference.sha256}`);
    const seen = new Set(outs.map((m) => versions.get(m.inference.sha256)));
    assert.ok(seen.size >= 40, `frames answered by ${seen.size} of the 51 versions`);
    // Versions follow each other: once a newer version answered, no older one answers again.
    let newest = 0;
    let backwards = 0;
    for (const msg of outs) {
      const v = Number(versions.get(msg.inference.sha256));
      if (v < newest) backwards++;
      newest = Math.max(newest, v);
    }
    assert.equal(backwards, 0, 'no frame answered by a version older than one before it');
    console.log(`      ${outs.length} frames, 50 swaps, answered by ${seen.size} versions, 0 failed, 0 lost`);
  });

  it('rolls back a version that does not fit the flow, and one whose runs fail in its first minutes', async () => {
    await start({ rollbackMinRuns: 5, rollbackPercent: 20, rollbackMinutes: 10 });
    const [statuses, outs, caught] = [record('status'), record('out'), record('caught')];
    await deliver(await bundle('r1', '1.0', variant(1)), statuses, caught);
    // A 16x16 model: its own manifest's signature, so the canary passes; the flow's model does not take it.
    const wide = tinyClassifier(16);
    let { status } = await deliver(await makeBundle(dir, { file: 'wide', version: '2.0', bytes: wide, key: keys, golden: GOLDEN }), statuses, caught);
    assert.equal(status.payload.last.result, 'rolled back', JSON.stringify(status.payload));
    assert.match(status.payload.last.reason, /version 2.0 did not load: .*inputs/);
    assert.deepEqual([status.payload.version, status.payload.last.version], ['1.0', '2.0']);
    assert.deepEqual(await infer(outs, caught), { sha256: sha256(variant(1)) });
    assert.equal(shownBy('update').text, 'edge-ai-model-update.status.rolledBack');

    // A version that passes its canary and golden frames but fails on bright frames.
    ({ status } = await deliver(await bundle('fragile', '3.0', fragile()), statuses, caught));
    assert.equal(status.payload.last.result, 'applied');
    assert.deepEqual(await infer(outs, caught), { sha256: sha256(fragile()) });
    const before = statuses.length;
    for (let i = 0; i < 5; i++) assert.match((await infer(outs, caught, 5)).error, /Inference failed|indices|out of/);
    await until(() => statuses.length > before, 'the rollback status');
    status = statuses[statuses.length - 1];
    assert.equal(status.payload.last.result, 'rolled back');
    assert.match(status.payload.last.reason, /4 of 5 runs failed in the 0\.\d min after the update \(more than 20 %\)/);
    assert.equal(status.payload.version, '1.0');
    let answer;
    for (let i = 0; i < 50 && !(answer && answer.sha256 === sha256(variant(1))); i++) { answer = await infer(outs, caught); await delay(100); }
    assert.deepEqual(answer, { sha256: sha256(variant(1)) }, 'the previous version serves again');
    // The anti-rollback counter stays at 3.0: the failed version cannot come back.
    ({ status } = await deliver(await bundle('fragile-again', '3.0', fragile()), statuses, caught));
    assert.match(status.payload.last.reason, /version 3.0 of tiny is already applied/);
  });

  it('fetches from a URL with If-None-Match: a 304 downloads nothing, a new bundle is applied', async () => {
    const v1 = await bundle('p1', '1.0', variant(1));
    const v2 = await bundle('p2', '2.0', variant(2));
    let served = v1;
    const requests = [];
    const server = http.createServer((req, res) => {
      const etag = `"${sha256(served).slice(0, 16)}"`;
      requests.push({ ifNoneMatch: req.headers['if-none-match'] });
      if (req.headers['if-none-match'] === etag) return res.writeHead(304).end();
      res.writeHead(200, { etag, 'content-type': 'application/octet-stream' }).end(served);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      await start({ url: `http://127.0.0.1:${server.address().port}/tiny.bundle`, pollMinutes: 60 });
      const [statuses, caught] = [record('status'), record('caught')];
      await until(() => statuses.some((s) => s.payload.version === '1.0'), 'the first fetch applied', 60000);
      assert.equal(requests[0].ifNoneMatch, undefined);
      // An inject asks for a look now: unchanged, so a 304 and no new status.
      const count = statuses.length;
      helper.getNode('update').receive({ payload: Date.now() });
      await until(() => requests.length === 2, 'the second request');
      await delay(300);
      assert.equal(requests[1].ifNoneMatch, `"${sha256(v1).slice(0, 16)}"`);
      assert.equal(statuses.length, count, 'nothing new');
      served = v2;
      helper.getNode('update').receive({ payload: Date.now() });
      await until(() => statuses.some((s) => s.payload.version === '2.0'), 'the new bundle applied');
      assert.equal(caught.length, 0);
    } finally {
      server.close();
    }
  });
});
