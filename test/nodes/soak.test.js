'use strict';
// The soak script, short: the full pipeline for 2 minutes with the camera's ffmpeg killed, the
// stream taken away and the flow redeployed. It must keep delivering, and leave nothing behind.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { root } = require('../helpers/paths');

describe('soak script (short)', function () {
  this.timeout(300000);
  let out;
  before(() => { out = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-soak-')); });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('runs the pipeline through camera kills, a stream outage and redeploys, prints every 10 s and leaves nothing behind', async () => {
    const args = [path.join(root, 'scripts', 'soak.js'), '--minutes', '2', '--kill-every', '20', '--redeploy-every', '45', '--out', out];
    const { code, stdout, stderr } = await new Promise((resolve) => {
      execFile(process.execPath, args, { cwd: root, maxBuffer: 1 << 24 }, (err, so, se) => resolve({ code: err ? err.code : 0, stdout: so, stderr: se }));
    });
    assert.equal(code, 0, `soak exited ${code}:\n${stdout}\n${stderr}`);
    const lines = stdout.split('\n').filter((l) => /^t=\s*\d+ s\s+rss/.test(l));
    assert.ok(lines.length >= 11, `a line every 10 s:\n${stdout}`);
    for (const field of ['rss', 'heap', 'fds', 'children', 'threads', 'loop p50/p99/max']) assert.ok(lines[0].includes(field), `${field} in "${lines[0]}"`);
    const [file] = fs.readdirSync(out);
    const { summary, samples } = JSON.parse(fs.readFileSync(path.join(out, file), 'utf8'));
    const happened = samples.flatMap((s) => s.happened);
    assert.ok(happened.filter((h) => /killed the camera's ffmpeg \(1\)/.test(h)).length >= 2, `two camera kills: ${happened}`);
    assert.ok(happened.includes('stream away for 5 s'), `a stream outage: ${happened}`);
    assert.ok(happened.filter((h) => h === 'redeployed').length >= 2, `two redeploys: ${happened}`);
    assert.deepEqual(summary.stalls, []);
    assert.deepEqual(summary.left.children, []);
    assert.equal(summary.left.workers, 0);
    // Both pipelines delivered in the last 10 s, after all of it.
    assert.ok(samples.at(-1).detectFps > 1 && samples.at(-1).classifyFps > 1, JSON.stringify(samples.at(-1)));
    assert.ok(summary.counts.events > 0, `the trigger saw people in the video: ${JSON.stringify(summary.counts)}`);
  });
});
