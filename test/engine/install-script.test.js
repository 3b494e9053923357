'use strict';
// The preinstall that keeps onnxruntime-node from downloading CUDA files, on a made-up
// onnxruntime-node folder (the real install is in test/package/install.test.js).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { skipDownload } = require('../../install/onnxruntime-cpu-only');

/** A user directory with our package and a stand-in onnxruntime-node whose metadata asks for two files on linux/x64. */
function userDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-preinstall-'));
  const ours = path.join(dir, 'node_modules', '@edgeflow', 'node-red-edge-ai');
  const ort = path.join(dir, 'node_modules', 'onnxruntime-node');
  fs.mkdirSync(ours, { recursive: true });
  fs.mkdirSync(path.join(ort, 'script'), { recursive: true });
  fs.writeFileSync(path.join(ort, 'package.json'), '{"name":"onnxruntime-node"}');
  fs.writeFileSync(path.join(ort, 'script', 'install-metadata.js'), `module.exports = {
    requirements: { 'linux/x64': ['cuda12'], 'linux/arm64': [] },
    manifests: { 'linux/x64:cuda12': { './libcuda_provider.so': {}, './libshared_provider.so': {} } } };`);
  return { dir, ours, bin: path.join(ort, 'bin', 'napi-v6', 'linux', 'x64') };
}

describe('preinstall: onnxruntime-node without its CUDA download', () => {
  it('writes empty placeholders for exactly the files the download would fetch, once', () => {
    const { dir, ours, bin } = userDir();
    try {
      const first = skipDownload({ from: ours, env: {}, platform: 'linux/x64' });
      assert.deepEqual(first.written.map((f) => path.relative(bin, f)).sort(), ['libcuda_provider.so', 'libshared_provider.so']);
      assert.ok(first.written.every((f) => fs.statSync(f).size === 0));
      assert.deepEqual(skipDownload({ from: ours, env: {}, platform: 'linux/x64' }).written, [], 'nothing twice');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves it alone when the user asked for CUDA, on platforms with nothing to fetch, and without onnxruntime-node', () => {
    const { dir, ours, bin } = userDir();
    try {
      for (const env of [{ ONNXRUNTIME_NODE_INSTALL: 'cuda12' }, { npm_config_onnxruntime_node_install: '1' }]) {
        assert.equal(skipDownload({ from: ours, env, platform: 'linux/x64' }).skipped, 'the CUDA download was asked for');
      }
      assert.deepEqual(skipDownload({ from: ours, env: { ONNXRUNTIME_NODE_INSTALL: 'skip' }, platform: 'linux/arm64' }).written, []);
      assert.equal(fs.existsSync(bin), false);
      assert.equal(skipDownload({ from: os.tmpdir(), env: {}, platform: 'linux/x64' }).skipped, 'onnxruntime-node not found');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
