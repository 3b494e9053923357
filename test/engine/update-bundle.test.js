'use strict';
// Signed model bundles: made, signed and verified as an operator and a device would, and every
// way a bundle must be refused (tampered, wrong or revoked key, expired, older, too large,
// truncated, contents other than the manifest says), with the staging file gone after a refusal.
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const tar = require('tar');
const ort = require('onnxruntime-node');
const { models, images, root } = require('../helpers/paths');
const { tinyClassifier } = require('../helpers/onnx-builder');
const { chunks, contrary, makeBundle, flip } = require('../helpers/bundles');
const {
  generateSigningKeys, TrustedKeys, keyId, signedHeader, receiveBundle, HEADER_BYTES, parseManifest, checkApplicable, compareVersions,
  makePayload, signPayload, verifyBundleFile, openPayload, goldenAnswers, goldenMismatch, MANIFEST_FILE, UpdateStore, Updater, RollbackWatch, fleetStatus,
} = require('../../dist/lib/update');
const { answerOf, inputFeed, modelInputs, modelTask } = require('../../dist/lib/int8');

const cli = path.join(root, 'bin', 'edge-ai-model.js');
const MB = 1e6;

describe('signed model bundles', function () {
  this.timeout(60000);
  let dir;
  let keys;
  let other;
  let trust;
  let payload;
  let bundle;
  const staging = () => path.join(dir, 'staging.payload');

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-bundle-test-'));
    keys = generateSigningKeys();
    other = generateSigningKeys();
    trust = new TrustedKeys(keys.publicPem);
    const model = path.join(dir, 'tiny.onnx');
    fs.writeFileSync(model, tinyClassifier());
    const labels = path.join(dir, 'labels.txt');
    fs.writeFileSync(labels, 'red\ngreen\nblue\n');
    payload = path.join(dir, 'tiny-1.2.0.tgz');
    await makePayload(model, { name: 'tiny', version: '1.2.0', labels }, payload);
    bundle = fs.readFileSync(await signed(payload, keys.privatePem, 'tiny.bundle'));
    await tar.x({ file: payload, cwd: dir, filter: (p) => p === MANIFEST_FILE });
    fs.renameSync(path.join(dir, MANIFEST_FILE), path.join(dir, 'made-manifest.json'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function signed(payloadFile, pem, name) {
    const out = path.join(dir, name);
    await signPayload(payloadFile, pem, out);
    return out;
  }

  const receive = (bytes, keysTrusted = trust, cap = 10 * MB) => receiveBundle(chunks(bytes), staging(), keysTrusted, cap);

  it('verifies a bundle signed by a trusted key and gives its manifest', async () => {
    const file = path.join(dir, 'tiny.bundle');
    const { manifest, keyId: id } = await verifyBundleFile(file, trust, 10 * MB);
    assert.equal(id, keys.id);
    assert.equal(id, keyId(crypto.createPublicKey(keys.publicPem)));
    assert.deepEqual([manifest.name, manifest.version, manifest.model.format, manifest.labels.file], ['tiny', '1.2.0', 'onnx', 'labels.txt']);
    assert.equal(manifest.model.sha256, crypto.createHash('sha256').update(tinyClassifier()).digest('hex'));
    assert.deepEqual(manifest.signature.inputs, [{ name: 'image', type: 'float32', dims: [1, 3, 8, 8] }]);
    assert.ok(Date.parse(manifest.expires) - Date.parse(manifest.created) > 80 * 86400000, 'about 90 days by default');
    // Receiving keeps the payload, flushed, and the files it holds match the manifest.
    const got = await receive(bundle);
    assert.equal(got.size, bundle.length);
    assert.equal(fs.statSync(staging()).size, bundle.length - HEADER_BYTES);
    const opened = await openPayload(staging(), path.join(dir, 'opened'), 10 * MB);
    assert.equal(fs.readFileSync(path.join(dir, 'opened', 'labels.txt'), 'utf8'), 'red\ngreen\nblue\n');
    assert.deepEqual(opened, manifest);
  });

  const refusals = [
    ['one bit flipped in the payload', () => flip(bundle, bundle.length - 100), /signature does not match its contents/],
    ['one bit flipped in the signature', () => flip(bundle, 30), /signature does not match its contents/],
    ['one bit flipped in the key id', () => flip(bundle, 10), /which this device does not trust/],
    ['a truncated download', () => bundle.subarray(0, bundle.length - 10), /truncated: \d+ of \d+ payload bytes arrived/],
    ['a download cut inside the header', () => bundle.subarray(0, 50), /shorter than a bundle's 96-byte header/],
    ['bytes after the payload', () => Buffer.concat([bundle, Buffer.from('more')]), /longer than its header says/],
    ['a file that is no bundle', () => tinyClassifier(), /does not start as a signed model bundle does/],
  ];
  for (const [what, make, reason] of refusals) {
    it(`refuses ${what}, leaving no staging file`, async () => {
      await assert.rejects(receive(make()), (err) => err.code === 'bundleRefused' && reason.test(err.message));
      assert.equal(fs.existsSync(staging()), false);
    });
  }

  it('refuses a key it does not trust and a revoked one, naming the key', async () => {
    const foreign = fs.readFileSync(await signed(payload, other.privatePem, 'other.bundle'));
    await assert.rejects(receive(foreign), new RegExp(`signed by key ${other.id}, which this device does not trust \\(trusted: ${keys.id}\\)`));
    // Both keys trusted, the other revoked: rotation away from a leaked key.
    const rotated = new TrustedKeys(`${keys.publicPem}\n${other.publicPem}`, [other.id]);
    assert.equal(rotated.size, 2);
    await assert.rejects(receive(foreign, rotated), new RegExp(`signed by key ${other.id}, which is revoked`));
    await receive(bundle, rotated);
    assert.throws(() => new TrustedKeys(keys.publicPem, ['not-a-key-id']), /revoked keys.*32 hex digits/);
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
    assert.throws(() => new TrustedKeys(rsa), /Ed25519 public keys/);
  });

  it('refuses a bundle over the size cap from its header, before reading the rest', async () => {
    const source = chunks(bundle, HEADER_BYTES);
    await assert.rejects(receiveBundle(source, staging(), trust, 500), /bytes, over this device's cap of 500/);
    assert.equal(source.pulled, 1);
    assert.equal(fs.existsSync(staging()), false);
  });

  it('stops reading a payload at its first refusal: an unlisted entry that inflates to 256 MB is never inflated (second pass, defect 6)', async () => {
    const made = path.join(dir, 'bomb');
    fs.mkdirSync(made, { recursive: true });
    await tar.x({ file: payload, cwd: made });
    const manifestBytes = fs.readFileSync(path.join(made, MANIFEST_FILE));
    // manifest.json, then "bomb.bin": 256 MB of zeros, a few hundred KB once gzipped.
    const BOMB = 256 * 2 ** 20;
    const bombFile = path.join(dir, 'bomb.tgz');
    const headerBlock = (name, size) => {
      const block = Buffer.alloc(512);
      new tar.Header({ path: name, size, type: 'File', mode: 0o644, mtime: new Date(0) }).encode(block);
      return block;
    };
    const blocks = function* () {
      yield headerBlock(MANIFEST_FILE, manifestBytes.length);
      yield Buffer.concat([manifestBytes, Buffer.alloc((512 - (manifestBytes.length % 512)) % 512)]);
      yield headerBlock('bomb.bin', BOMB);
      const zeros = Buffer.alloc(2 ** 20);
      for (let i = 0; i < BOMB / zeros.length; i++) yield zeros;
      yield Buffer.alloc(1024);
    };
    await require('node:stream/promises').pipeline(require('node:stream').Readable.from(blocks()), require('node:zlib').createGzip({ level: 1 }), fs.createWriteStream(bombFile));
    // Counted, not timed: the bytes gunzip gives out while the payload is opened.
    // (on the prototype every zlib stream shares: tar decompresses with minizlib's Unzip)
    let proto = require('node:zlib').Gunzip.prototype;
    while (!Object.prototype.hasOwnProperty.call(proto, '_processChunk')) proto = Object.getPrototypeOf(proto);
    const processChunk = proto._processChunk;
    let inflated = 0;
    proto._processChunk = function (...args) {
      const out = processChunk.apply(this, args);
      for (const b of [].concat(out ?? [])) inflated += b.length;
      return out;
    };
    let refusal;
    try {
      await openPayload(bombFile, path.join(dir, 'bomb-out'), 10 * MB).catch((err) => { refusal = err; });
    } finally {
      proto._processChunk = processChunk;
    }
    assert.match(String(refusal?.message), /holds "bomb.bin", which the manifest does not list/);
    assert.ok(inflated < BOMB / 16, `${inflated} bytes inflated of a ${BOMB}-byte entry`);
  });

  it('refuses a file that is also a folder, and a file it cannot write, without an exception in the parser (second pass, defect 1)', async () => {
    const good = JSON.parse(fs.readFileSync(path.join(dir, 'made-manifest.json'), 'utf8'));
    const golden = { file: 'golden/000.png', sha256: 'c'.repeat(64), size: 10, answer: { top1: 0 } };
    assert.throws(() => parseManifest(JSON.stringify({ ...good, model: { ...good.model, file: 'golden' }, golden: [golden] })), /"golden" is both/);
    // The unpacking folder already holds a folder where the model goes: refused, not thrown.
    const out = path.join(dir, 'eisdir');
    fs.mkdirSync(path.join(out, good.model.file), { recursive: true });
    await assert.rejects(openPayload(payload, out, 10 * MB), /"model.onnx" could not be written: EISDIR/);
  });

  it('refuses payload contents other than the manifest lists, though signed', async () => {
    const made = path.join(dir, 'made');
    fs.mkdirSync(made, { recursive: true });
    await tar.x({ file: payload, cwd: made });
    const manifest = JSON.parse(fs.readFileSync(path.join(made, MANIFEST_FILE), 'utf8'));
    const repack = async (name, files, edit = () => undefined) => {
      edit();
      const out = path.join(dir, `${name}.tgz`);
      await tar.c({ gzip: true, file: out, cwd: made, portable: true }, files);
      const file = await signed(out, keys.privatePem, `${name}.bundle`);
      return verifyBundleFile(file, trust, 10 * MB);
    };
    fs.writeFileSync(path.join(made, 'extra.sh'), 'echo hi');
    await assert.rejects(repack('extra', [MANIFEST_FILE, 'model.onnx', 'labels.txt', 'extra.sh']), /holds "extra.sh", which the manifest does not list/);
    await assert.rejects(repack('missing', [MANIFEST_FILE, 'model.onnx']), /lacks labels.txt, listed in the manifest/);
    await assert.rejects(repack('late-manifest', ['model.onnx', MANIFEST_FILE, 'labels.txt']), /starts with "model.onnx", not manifest.json/);
    fs.symlinkSync('/etc/passwd', path.join(made, 'link'));
    await assert.rejects(repack('symlink', [MANIFEST_FILE, 'link']), /holds a SymbolicLink "link"; only plain files/);
    await assert.rejects(repack('changed', [MANIFEST_FILE, 'model.onnx', 'labels.txt'], () => fs.writeFileSync(path.join(made, 'labels.txt'), 'red\ngreen\nBLUE\n')),
      /"labels.txt" has SHA-256 [0-9a-f]{64}; the manifest says/);
    fs.writeFileSync(path.join(made, MANIFEST_FILE), JSON.stringify({ ...manifest, model: { ...manifest.model, file: '../model.onnx' } }));
    await assert.rejects(repack('escape', [MANIFEST_FILE, 'model.onnx']), /model.file must be a plain file name/);
  });

  it('checks a manifest field by field, and applies only a newer, unexpired version', () => {
    const good = JSON.parse(JSON.stringify(parseManifest(JSON.stringify({
      format: 1, name: 'yard', version: '1.4.2', created: '2026-12-01T00:00:00Z', expires: '2027-03-01T00:00:00Z',
      model: { file: 'model.onnx', sha256: 'a'.repeat(64), size: 10, format: 'onnx' }, signature: { inputs: [{ name: 'x', type: 'float32', dims: [1] }], outputs: [{ name: 'y', type: 'float32', dims: [1] }] }, golden: [],
    }))));
    const bad = (change, reason) => assert.throws(() => parseManifest(JSON.stringify({ ...good, ...change })), reason);
    bad({ name: 'a/b' }, /name must be a name of letters/);
    bad({ version: '1.x' }, /version must be a dotted number/);
    bad({ expires: 'soon' }, /expires must be an ISO 8601 time/);
    bad({ expires: '2026-11-01T00:00:00Z' }, /expires must be later than created/);
    bad({ model: { ...good.model, sha256: 'abc' } }, /model.sha256 must be 64 hex digits/);
    bad({ format: 2 }, /format must be 1/);
    // A labels file larger than a model node reads would pass, install, and fail every start (second pass, defect 10).
    bad({ labels: { file: 'labels.txt', sha256: 'b'.repeat(64), size: 140e6 } }, /labels.size must be at most 4194304 bytes \(what a model node reads\)/);
    assert.equal(parseManifest(JSON.stringify({ ...good, labels: { file: 'labels.txt', sha256: 'b'.repeat(64), size: 20000 } })).labels.size, 20000);
    // Golden answers as the canary compares them: "0" is no class number (second pass, defect 11).
    const frame = { file: 'g0.png', sha256: 'c'.repeat(64), size: 10 };
    bad({ golden: [{ ...frame, answer: { top1: '0' } }] }, /golden\[0\].answer.top1 must be a class number \(0 or more\) but is string "0"/);
    bad({ golden: [{ ...frame, answer: { detections: [{ classId: 1, box: [0, 0, '9', 9] }] } }] }, /golden\[0\].answer.detections\[0\] must be \{classId, box: \[x, y, w, h\]\} in numbers/);
    bad({ golden: [{ ...frame, answer: { top: 1 } }] }, /golden\[0\].answer must be an object \{top1\} or \{detections\}/);
    assert.deepEqual(parseManifest(JSON.stringify({ ...good, golden: [{ ...frame, answer: { top1: 0 } }] })).golden[0].answer, { top1: 0 });
    assert.throws(() => parseManifest('{not json'), /its manifest is not JSON/);
    const now = Date.parse('2026-12-03T00:00:00Z');
    checkApplicable(good, now, '0.1.0', '1.4.1');
    checkApplicable(good, now, '0.1.0', undefined);
    assert.throws(() => checkApplicable(good, Date.parse('2027-03-01T00:00:00Z'), '0.1.0'), /it expired at 2027-03-01/);
    assert.throws(() => checkApplicable(good, now, '0.1.0', '1.10'), /version 1.4.2 is older than 1.10, applied before/);
    assert.throws(() => checkApplicable(good, now, '0.1.0', '1.4.2'), /version 1.4.2 of yard is already applied/);
    checkApplicable({ ...good, allowDowngrade: true }, now, '0.1.0', '1.10');
    // A signed downgrade made before the version in use is an old bundle replayed: refused.
    checkApplicable({ ...good, allowDowngrade: true }, now, '0.1.0', '1.10', '2026-11-30T00:00:00Z');
    assert.throws(() => checkApplicable({ ...good, allowDowngrade: true }, now, '0.1.0', '1.10', good.created), /it allows a downgrade but was made at .*, not after the version in use .*: a replayed bundle\?/);
    assert.throws(() => checkApplicable({ ...good, minPackageVersion: '0.3.0' }, now, '0.2.9'), /needs @edgeflow\/node-red-edge-ai 0.3.0 or later; this device has 0.2.9/);
    assert.equal(compareVersions('1.10', '1.9'), 1);
    assert.equal(compareVersions('2', '2.0.0'), 0);
  });

  it('a bundle signed with a non-Ed25519 key cannot be made', () => {
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    assert.throws(() => signedHeader(rsa, Buffer.alloc(32), 10), /an Ed25519 private key/);
  });
});

describe('golden frames', function () {
  this.timeout(120000);
  const mobilenet = path.join(models, 'classification', 'mobilenet_v2_224_fp32.onnx');
  const photos = ['hot_dog.jpg', 'parrot.jpg', 'orange.jpg', 'fruits.jpg', 'kite_and_cold.jpg', 'pets.jpg'].map((p) => path.join(images, p));

  async function answers(file) {
    const bytes = fs.readFileSync(file);
    const task = modelTask(bytes);
    const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
    const out = [];
    for await (const data of modelInputs(bytes, photos)) out.push(answerOf(task, await session.run(inputFeed(session)(data)), session.outputNames));
    await session.release();
    return out;
  }

  it('the model they were made with gives its golden answers; another model does not', async () => {
    const golden = await goldenAnswers(fs.readFileSync(mobilenet), photos);
    assert.equal(golden[0].top1, 935, 'hotdog');
    const same = await answers(mobilenet);
    assert.deepEqual(golden.map((g, i) => goldenMismatch(g, same[i])), golden.map(() => undefined));
    const smaller = await answers(path.join(models, 'classification', 'mobilenet_v1_025_128_fp32.onnx'));
    const misses = golden.map((g, i) => goldenMismatch(g, smaller[i])).filter(Boolean);
    assert.ok(misses.length >= 1, 'a different model misses at least one golden top-1');
    assert.match(misses[0], /top-1 class \d+, expected \d+/);
  });

  it('a detector\'s golden detections are found again, within a box or two of noise', async () => {
    const yolox = fs.readFileSync(path.join(models, 'detection', 'yolox_nano_416.onnx'));
    const [golden] = await goldenAnswers(yolox, [path.join(images, 'kite_and_cold.jpg')]);
    assert.ok(golden.detections.length >= 3, `${golden.detections.length} detections`);
    const actual = { kind: 'detection', detections: golden.detections.map((d) => ({ label: '', classId: d.classId, score: 0.9, box: { x: d.box[0] + 1, y: d.box[1], w: d.box[2], h: d.box[3] } })) };
    assert.equal(goldenMismatch(golden, actual), undefined);
    assert.match(goldenMismatch(golden, { ...actual, detections: actual.detections.slice(1) }), /of \d+ golden detections found/);
    assert.match(goldenMismatch(golden, { kind: 'classification', top1: 1 }), /a classification answer where detections were expected/);
  });
});

describe('edge-ai-model keygen, bundle, sign, verify', function () {
  this.timeout(120000);
  it('makes keys, a signed bundle with golden frames, and verifies it; a tampered copy fails with the reason', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-bundle-cli-'));
    try {
      const run = (...args) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: dir });
      let r = run('keygen', path.join(dir, 'ops'));
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^key [0-9a-f]{32}: /);
      assert.equal(fs.statSync(path.join(dir, 'ops.key')).mode & 0o777, 0o600);
      r = run('keygen', path.join(dir, 'ops'));
      assert.equal(r.status, 1);
      assert.match(r.stderr, /ops.key exists; keygen never overwrites a key/);
      const model = path.join(models, 'classification', 'mobilenet_v2_224_fp32.onnx');
      const out = path.join(dir, 'cls.bundle');
      r = run('bundle', model, '--name', 'cls', '--version', '2.0.1', '--golden', path.join(images, 'hot_dog.jpg'), path.join(images, 'parrot.jpg'),
        '--labels', path.join(models, 'classification', 'imagenet_labels_1001.txt'), '--key', path.join(dir, 'ops.key'), '--out', out);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /cls.bundle: cls 2.0.1, model [0-9a-f]{12}…, 2 golden frames, expires .*, signed/);
      assert.deepEqual(fs.readdirSync(dir).sort(), ['cls.bundle', 'ops.key', 'ops.pub']);
      r = run('verify', out, '--trust', path.join(dir, 'ops.pub'));
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /VALID, signed by key [0-9a-f]{32}; cls 2.0.1 \(onnx, \d+ bytes, sha256 [0-9a-f]{64}\)/);
      const bytes = fs.readFileSync(out);
      bytes[bytes.length - 5000] ^= 4;
      fs.writeFileSync(out, bytes);
      r = run('verify', out, '--trust', path.join(dir, 'ops.pub'));
      assert.equal(r.status, 1);
      assert.match(r.stderr, /refused because its signature does not match its contents/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('update store: install, rollback, and what a restart finds', () => {
  let dir;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-store-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** An unpacked version in staging, as openPayload leaves it, and its manifest. */
  function unpacked(store, version, content, allowDowngrade = false) {
    const folder = fs.mkdtempSync(path.join(store.staging, 'in-'));
    fs.writeFileSync(path.join(folder, 'model.onnx'), content);
    const sha256 = crypto.createHash('sha256').update(content).digest('hex');
    return [folder, { name: 'yard', version, model: { file: 'model.onnx', sha256, size: content.length, format: 'onnx' }, golden: [], ...(allowDowngrade ? { allowDowngrade } : {}) }];
  }

  it('installs a version whole, keeps the one before for a rollback, and keeps no more', () => {
    let t = Date.parse('2026-12-03T10:00:00Z');
    const store = new UpdateStore(path.join(dir, 'yard'), () => t);
    store.install(...unpacked(store, '1.0', 'model one'), 'k1', 'b1');
    t += 60000;
    const second = store.install(...unpacked(store, '1.1', 'model two'), 'k1', 'b');
    assert.equal(fs.readFileSync(store.servedFile(), 'utf8'), 'model two');
    assert.deepEqual([store.state().current.version, store.state().previous.version, store.state().applied], ['1.1', '1.0', '1.1']);
    assert.equal(second.since, '2026-12-03T10:01:00.000Z');
    store.install(...unpacked(store, '1.2', 'model three'), 'k1', 'b');
    assert.equal(fs.readdirSync(path.join(store.root, 'versions')).length, 2);
    const back = store.rollback('error rate 40 % in the first 10 minutes');
    assert.equal(back.version, '1.1');
    assert.equal(fs.readFileSync(store.servedFile(), 'utf8'), 'model two');
    assert.deepEqual(store.state().last, { result: 'rolled back', version: '1.2', reason: 'error rate 40 % in the first 10 minutes', at: '2026-12-03T10:01:00.000Z' });
    // The counter stays at the newest applied: 1.2 cannot come back unsigned for a downgrade.
    assert.equal(store.state().applied, '1.2');
    assert.equal(store.rollback('again'), undefined, 'one step back only');
    store.install(...unpacked(store, '0.9', 'old model', true), 'k1', 'b');
    assert.equal(store.state().applied, '0.9', 'a signed downgrade moves the counter with it');
  });

  it('after a failed install the state still names what serves, and the same version installs later (second pass, defect 5)', () => {
    const store = new UpdateStore(path.join(dir, 'yard'));
    store.install(...unpacked(store, '1.0', 'model one'), 'k1', 'b');
    // The copy of the new model fails (a folder where the copy goes stands for a full disk).
    fs.mkdirSync(`${store.servedFile()}.partial`);
    assert.throws(() => store.install(...unpacked(store, '2.0', 'model two'), 'k1', 'b'), /EISDIR|illegal operation|directory/);
    assert.equal(store.state().current.version, '1.0', 'the state names the version that serves');
    assert.equal(fs.readFileSync(store.servedFile(), 'utf8'), 'model one');
    fs.rmdirSync(`${store.servedFile()}.partial`);
    store.install(...unpacked(store, '2.0', 'model two'), 'k1', 'b');
    assert.deepEqual([store.state().current.version, fs.readFileSync(store.servedFile(), 'utf8')], ['2.0', 'model two']);
  });

  it('after a cut between the switch and the copy, a restart serves the version the state names', () => {
    const store = new UpdateStore(path.join(dir, 'yard'));
    store.install(...unpacked(store, '1.0', 'model one'), 'k1', 'b');
    store.install(...unpacked(store, '2.0', 'model two'), 'k1', 'b');
    // The served file still the old one, half a copy beside it, a half-received bundle in staging.
    fs.writeFileSync(store.servedFile(), 'model one');
    fs.writeFileSync(`${store.servedFile()}.partial`, 'model t');
    fs.writeFileSync(path.join(store.staging, 'incoming'), 'half');
    const again = new UpdateStore(path.join(dir, 'yard'));
    assert.equal(again.reconcile().version, '2.0');
    assert.equal(fs.readFileSync(again.servedFile(), 'utf8'), 'model two');
    assert.deepEqual(fs.readdirSync(again.staging), []);
  });
});

describe('a device applying bundles', function () {
  this.timeout(120000);
  let dir;
  let keys;
  const photos = ['hot_dog.jpg', 'parrot.jpg', 'orange.jpg', 'fruits.jpg'].map((p) => path.join(images, p));
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-updater-'));
    keys = generateSigningKeys();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /**
   * A signed bundle of `bytes` at `version`, with the photos' answers from `goldenFrom` (default: the model itself).
   * @param {{ goldenFrom?: Buffer, key?: { privatePem: string } }} [options]
   */
  async function bundleOf(name, version, bytes, options = {}) {
    const { goldenFrom, key = keys } = options;
    return makeBundle(dir, { file: name, version, bytes, key, golden: photos, goldenFrom });
  }

  it('applies a newer bundle after its canary, knows the same one again, and refuses what it must with the old model serving', async () => {
    let now = Date.now();
    const store = new UpdateStore(path.join(dir, 'device'), () => now);
    const updater = new Updater({ store, trust: new TrustedKeys(keys.publicPem), maxBytes: 10 * MB, packageVersion: '0.1.0', now: () => now });
    const v1 = await bundleOf('v1', '1.0', tinyClassifier());
    let outcome = await updater.apply(chunks(v1));
    assert.equal(outcome.result, 'applied', JSON.stringify(outcome));
    assert.deepEqual(fs.readFileSync(store.servedFile()), tinyClassifier());
    assert.equal((await updater.apply(chunks(v1))).result, 'current', 'a retained bundle delivered again');
    const served = () => fs.readFileSync(store.servedFile());
    const refused = async (bytes, reason, version) => {
      const before = served();
      const result = await updater.apply(chunks(bytes));
      assert.equal(result.result, 'refused');
      assert.match(result.reason, reason);
      assert.deepEqual(served(), before, 'the old model still serves');
      assert.equal(store.state().current.version, '1.0');
      const { last } = store.state();
      assert.deepEqual([last.result, last.reason, last.version], ['refused', result.reason, version]);
      assert.deepEqual(fs.readdirSync(store.staging), [], 'nothing left in staging');
    };
    await refused(await bundleOf('wrong-answers', '2.0', contrary(), { goldenFrom: tinyClassifier() }), /answers golden frame golden\/00\d.jpg with top-1 class \d, expected \d/, '2.0');
    await refused(await bundleOf('older', '0.9', tinyClassifier(8, { note: 'older' })), /version 0.9 is older than 1.0, applied before/, '0.9');
    await refused(await bundleOf('foreign', '3.0', tinyClassifier(), { key: generateSigningKeys() }), /which this device does not trust/);
    await refused(flip(await bundleOf('flipped', '3.0', tinyClassifier()), 2000), /signature does not match its contents/);
    const v3 = await bundleOf('v3', '3.0', tinyClassifier(8, { note: 'three' }));
    await refused(v3.subarray(0, v3.length - 1), /truncated/);
    now += 200 * 86400000;
    await refused(v3, /it expired at/, '3.0');
    now -= 200 * 86400000;
    // A different model, right answers: applied, the one before kept for a rollback.
    outcome = await updater.apply(chunks(await bundleOf('v2', '2.0', contrary())));
    assert.equal(outcome.result, 'applied', JSON.stringify(outcome));
    assert.deepEqual([store.state().current.version, store.state().previous.version], ['2.0', '1.0']);
  });

  it('takes bundles one at a time, in the order they came', async () => {
    const store = new UpdateStore(path.join(dir, 'serial'));
    const updater = new Updater({ store, trust: new TrustedKeys(keys.publicPem), maxBytes: 10 * MB, packageVersion: '0.1.0' });
    const [a, b] = [await bundleOf('a', '1.0', tinyClassifier(8, { n: 'a' })), await bundleOf('b', '1.1', tinyClassifier(8, { n: 'b' }))];
    const results = await Promise.all([updater.apply(chunks(a)), updater.apply(chunks(b)), updater.apply(chunks(a))]);
    assert.deepEqual(results.map((r) => r.result), ['applied', 'applied', 'refused']);
    assert.match(JSON.stringify(results[2]), /version 1.0 is older than 1.1/);
    assert.equal(store.state().current.version, '1.1');
  });
});

describe('after an update: the rollback watch and the fleet status', () => {
  it('rolls back when failures pass the rate once enough runs are in, only inside the window, once', () => {
    let now = 0;
    const watch = new RollbackWatch({ windowMs: 600000, maxErrorRate: 0.2, minRuns: 10 }, () => now);
    assert.equal(watch.record(false), undefined, 'nothing is watched before an update');
    watch.start();
    for (let i = 0; i < 9; i++) assert.equal(watch.record(i % 2 === 0), undefined, 'too few runs to judge');
    now = 90000;
    assert.equal(watch.record(false), '5 of 10 runs failed in the 1.5 min after the update (more than 20 %)');
    assert.equal(watch.watching, false, 'the window closes with the rollback');
    assert.equal(watch.record(false), undefined);
    // A healthy update: a failure now and then stays under the rate; after the window nothing counts.
    watch.start();
    for (let i = 0; i < 50; i++) assert.equal(watch.record(i % 10 !== 0), undefined);
    now += 600000;
    for (let i = 0; i < 50; i++) assert.equal(watch.record(false), undefined);
    assert.throws(() => new RollbackWatch({ windowMs: 1, maxErrorRate: 2, minRuns: 1 }), /maxErrorRate 0..1/);
  });

  it('says which model and version a device serves, since when, and how its last update went', () => {
    assert.deepEqual(fleetStatus('pi-7', {}), { device: 'pi-7' });
    const current = { name: 'yard', version: '1.2', sha256: 'a'.repeat(64), keyId: 'k'.repeat(32), since: '2026-12-03T10:00:00.000Z', format: 'onnx', folder: 'f', model: 'model.onnx', bundle: 'b' };
    const last = { result: 'refused', version: '0.9', reason: 'version 0.9 is older than 1.2, applied before', at: '2026-12-03T11:00:00.000Z' };
    assert.deepEqual(fleetStatus('pi-7', { current, previous: { ...current, version: '1.1' }, applied: '1.2', last }), {
      device: 'pi-7', model: 'yard', version: '1.2', sha256: 'a'.repeat(64), keyId: 'k'.repeat(32), since: '2026-12-03T10:00:00.000Z', previous: '1.1', last,
    });
  });
});
