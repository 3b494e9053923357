'use strict';
// The platform check every node file runs before any native module loads. The real 32-bit ARM
// refusal runs in `npm run test:arm64` (Debian armhf Node under qemu); musl has no Node in Debian,
// so it is checked here through the facts the check is given.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { assertSupportedPlatform, platformProblem, SUPPORTED_PLATFORMS } = require('../../dist/lib/platform');
const { dist } = require('../helpers/paths');
const pkg = require('../../package.json');

const facts = (over) => ({ platform: 'linux', arch: 'arm64', libc: 'glibc', nodeVersion: 'v18.20.4', ...over });

describe('supported platforms', () => {
  it('accepts 64-bit Linux with glibc, macOS on arm64 and Windows, from Node 18.17', () => {
    for (const ok of [facts(), facts({ arch: 'x64', nodeVersion: 'v20.20.2' }), facts({ platform: 'darwin', arch: 'arm64', libc: null }),
      facts({ platform: 'win32', arch: 'x64', libc: undefined }), facts({ nodeVersion: 'v18.17.0' }), facts({ libc: null })]) {
      assert.equal(platformProblem(ok), undefined, JSON.stringify(ok));
    }
    assert.doesNotThrow(() => assertSupportedPlatform(), 'this machine');
  });

  it('refuses 32-bit ARM, musl, other CPUs and old Node in one line that says what is supported', () => {
    const cases = [
      [facts({ arch: 'arm' }), 'linux/arm (32-bit ARM: onnxruntime-node, which runs the models, has no build for it; install a 64-bit OS)'],
      [facts({ arch: 'x64', libc: 'musl' }), 'linux/x64 with musl (onnxruntime-node, which runs the models, has no build for it)'],
      [facts({ arch: 'ia32' }), 'linux/ia32 (onnxruntime-node, which runs the models, has no build for it)'],
      [facts({ platform: 'darwin', arch: 'x64' }), 'darwin/x64 (onnxruntime-node, which runs the models, has no build for it)'],
      [facts({ nodeVersion: 'v18.16.1' }), 'Node.js v18.16.1 (too old)'],
      [facts({ nodeVersion: 'v16.20.2' }), 'Node.js v16.20.2 (too old)'],
    ];
    for (const [given, problem] of cases) {
      assert.equal(platformProblem(given), problem);
      assert.throws(() => assertSupportedPlatform(given), (err) => {
        assert.equal(err.message, `${pkg.name} cannot run on ${problem}. It needs ${SUPPORTED_PLATFORMS}.`);
        assert.equal(err.stack, `Error: ${err.message}`, 'no stack: Node-RED shows the one line');
        return true;
      });
    }
    assert.match(SUPPORTED_PLATFORMS, /Raspberry Pi OS 64-bit/);
  });

  it('is the first thing each node file loads', () => {
    for (const file of Object.values(pkg['node-red'].nodes)) {
      const source = fs.readFileSync(path.join(dist, path.basename(file)), 'utf8');
      const first = /require\("([^"]+)"\)/.exec(source);
      assert.equal(first?.[1], './supported-platform', `${file} loads ${first?.[1]} first`);
    }
  });
});
