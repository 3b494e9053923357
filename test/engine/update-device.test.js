'use strict';
// The update device between the update node and the model node, with an injected clock: the
// first served version, each switch through the serving model's reload, rollback when the
// reload fails or the new version's runs fail too often inside the window; and the update
// node's settings and poll schedule.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { tinyClassifier } = require('../helpers/onnx-builder');
const { chunks, makeBundle } = require('../helpers/bundles');
const { ManualClock } = require('../helpers/clock');
const { UpdateDevice, TrustedKeys, generateSigningKeys, updateConfigFrom, PollSchedule, fileSha256 } = require('../../dist/lib/update');

const variant = (n) => tinyClassifier(8, { variant: String(n) });

describe('the update device', function () {
  this.timeout(60000);
  let dir;
  let keys;
  let now;
  const bundles = {};
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-device-'));
    keys = generateSigningKeys();
    for (const v of [1, 2, 3]) bundles[v] = await makeBundle(dir, { file: `b${v}`, version: String(v), bytes: variant(v), key: keys });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A device in a fresh folder; its canary passes (the checker process is the node tests' part). */
  function device(policy = { windowMs: 600000, maxErrorRate: 0.2, minRuns: 5 }) {
    now = 1e12;
    const made = new UpdateDevice('tiny', fs.mkdtempSync(path.join(dir, 'store-')), policy, () => now);
    const options = { trust: new TrustedKeys(keys.publicPem), maxBytes: 1e6, packageVersion: '0.1.0', canary: async () => undefined };
    return { made, receive: (v) => made.receive(chunks(bundles[v]), options) };
  }

  /** A serving model whose reloads are counted, and fail while `failing` is set. */
  function serving(made) {
    const model = { reloads: 0, failing: false, async reload() { model.reloads++; if (model.failing) throw new Error('inputs differ'); } };
    made.serve(model);
    return model;
  }

  it('serves once the first bundle is in, reloads the model for each version, and tells every change', async () => {
    const { made, receive } = device();
    let served;
    made.served().then((installed) => { served = installed; });
    const states = [];
    made.onChange((state) => states.push(state.current?.version));
    const model = serving(made);
    await Promise.resolve();
    assert.equal(served, undefined, 'nothing to serve before the first bundle');
    assert.equal((await receive(1)).result, 'applied');
    assert.equal(served.version, '1');
    assert.equal((await receive(2)).result, 'applied');
    assert.equal((await receive(2)).result, 'current');
    assert.deepEqual([model.reloads, states], [2, ['1', '2', '2']], 'the same bundle again is told too (its status goes out again)');
    assert.equal(fileSha256(made.store.servedFile()), made.store.state().current.sha256);
    // A device opened again on the same folder (a restart) serves at once.
    const again = new UpdateDevice('tiny', made.store.root);
    assert.equal((await again.served()).version, '2');
  });

  it('rolls back at once when the new version does not load, and says so when there is nothing to go back to', async () => {
    const { made, receive } = device();
    const model = serving(made);
    model.failing = true;
    const first = await receive(1);
    assert.equal(first.result, 'rolled back');
    assert.match(first.reason, /version 1 did not load: inputs differ; no earlier version to go back to/);
    assert.equal(made.store.state().last.result, 'failed');
    model.failing = false;
    await receive(2);
    model.failing = true;
    /** @type {{ result: string, version?: string, installed?: { version: string } }} */
    const outcome = await receive(3);
    assert.deepEqual([outcome.result, outcome.version, outcome.installed?.version], ['rolled back', '3', '2']);
    assert.equal(made.store.state().current.version, '2');
    assert.equal(made.store.state().applied, '3', 'the counter stays: 3 is not taken again');
    assert.equal(fileSha256(made.store.servedFile()), made.store.state().current.sha256);
    assert.equal(model.reloads, 4, 'version 1, version 2, version 3, and version 2 again');
  });

  it('rolls back when the new version\'s runs fail too often inside its window, counting only its own runs', async () => {
    const { made, receive } = device();
    serving(made);
    await receive(1);
    const one = made.store.state().current.sha256;
    await receive(2);
    const two = made.store.state().current.sha256;
    const changes = [];
    made.onChange((state) => changes.push(state.last));
    for (let i = 0; i < 10; i++) made.ran(false, one); // an old version's runs still finishing
    made.ran(true, two);
    now += 60000;
    for (let i = 0; i < 3; i++) made.ran(false, two);
    assert.equal(changes.length, 0, 'four runs are too few to judge');
    made.ran(false, two);
    await until(() => changes.length === 1);
    assert.deepEqual([changes[0].result, changes[0].version], ['rolled back', '2']);
    assert.equal(changes[0].reason, '4 of 5 runs failed in the 1.0 min after the update (more than 20 %)');
    assert.equal(made.store.state().current.version, '1');
    // A version past its window is not rolled back for failures.
    await receive(3);
    const three = made.store.state().current.sha256;
    now += 600001;
    for (let i = 0; i < 10; i++) made.ran(false, three);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(made.store.state().current.version, '3');
  });

  it('reloads every model node serving the name, and drops a rollback that a newer version overtook', async () => {
    const { made, receive } = device();
    const [a, b] = [serving(made), serving(made)];
    await receive(1);
    await receive(2);
    assert.deepEqual([a.reloads, b.reloads], [2, 2]);
    const two = made.store.state().current.sha256;
    // Version 3 is being swapped in (its reload held) when version 2's failures cross the rate.
    let release;
    const held = new Promise((r) => { release = r; });
    const slow = { async reload() { await held; } };
    const detach = made.serve(slow);
    const third = receive(3);
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 5; i++) made.ran(false, two);
    release();
    assert.equal((await third).result, 'applied');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(made.store.state().current.version, '3', 'the queued rollback found version 2 no longer serving');
    detach();
  });
});

async function until(predicate) {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(predicate());
}

describe('the update node\'s settings and schedule', () => {
  const keys = generateSigningKeys();

  it('takes its defaults, refuses what is out of range with what it expected, and reads the keys file for each bundle', () => {
    const config = updateConfigFrom({}, keys.publicPem, 'yard', 'pi 4/b', '/tmp');
    assert.deepEqual([config.device, config.topic, config.maxBytes, config.pollMs, config.statusMs, config.url], ['pi-4-b', 'edge-ai/status/pi-4-b/yard', 200e6, 3600000, 900000, undefined]);
    assert.deepEqual(config.policy, { windowMs: 600000, maxErrorRate: 0.2, minRuns: 20 });
    assert.equal(config.trust().size, 1);
    assert.throws(() => updateConfigFrom({ url: 'file:///etc/passwd' }, '', 'yard', 'h', '/tmp'), /Setting "url" must be an http: or https: URL without a user name or password, or empty/);
    assert.throws(() => updateConfigFrom({ topic: 'edge-ai/#' }, '', 'yard', 'h', '/tmp'), /an MQTT topic without wildcards/);
    assert.throws(() => updateConfigFrom({ maxMegabytes: 0 }, '', 'yard', 'h', '/tmp'), /Setting "maxMegabytes" must be a number from 0.001 to 4096/);
    assert.throws(() => updateConfigFrom({ revoked: 'abc' }, '', 'yard', 'h', '/tmp'), /revoked keys.*key ids of 32 hex digits/);
    assert.throws(() => updateConfigFrom({}, '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', 'yard', 'h', '/tmp'), /trusted keys/);
    // A keys file: no key at deploy is allowed (every bundle is refused then); a key added later is trusted at the next bundle.
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-keys-'));
    try {
      fs.writeFileSync(path.join(folder, 'trusted.pem'), '');
      const fromFile = updateConfigFrom({ keysFile: 'trusted.pem', revoked: keys.id }, '', 'yard', 'h', folder);
      assert.equal(fromFile.trust().size, 0);
      fs.writeFileSync(path.join(folder, 'trusted.pem'), keys.publicPem);
      assert.equal(fromFile.trust().size, 1);
      assert.throws(() => fromFile.trust().key(keys.id), /which is revoked/);
      fs.rmSync(path.join(folder, 'trusted.pem'));
      assert.throws(() => fromFile.trust(), /keys file.*trusted.pem/);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  it('polls after its first delay, then every interval after the look before ended, until stopped', async () => {
    const clock = new ManualClock(0);
    const looks = [];
    let finish;
    const schedule = new PollSchedule(60000, () => { looks.push(clock.now()); return new Promise((r) => { finish = r; }); }, clock);
    schedule.start(1000);
    await clock.advance(999);
    assert.deepEqual(looks, []);
    await clock.advance(1);
    assert.deepEqual(looks, [1000]);
    await clock.advance(120000); // the look is still running: no second one
    assert.deepEqual(looks, [1000]);
    finish();
    await new Promise((r) => setImmediate(r));
    await clock.advance(60000);
    assert.deepEqual(looks, [1000, 181000]);
    schedule.stop();
    finish();
    await new Promise((r) => setImmediate(r));
    await clock.advance(600000);
    assert.equal(looks.length, 2);
  });
});
