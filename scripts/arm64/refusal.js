'use strict';
// Run by scripts/arm64/test.sh in a Debian armhf (32-bit ARM) root with Debian's Node: starts
// Node-RED with the package linked into a fresh user directory and checks that each of its node
// sets is refused with our one line saying what is supported, not a native module's stack trace,
// and that Node-RED itself keeps running. Usage: node refusal.js PROJECT_DIR
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const project = process.argv[2];
const pkg = require(path.join(project, 'package.json'));
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refusal-'));
const link = path.join(userDir, 'node_modules', ...pkg.name.split('/'));
fs.mkdirSync(path.dirname(link), { recursive: true });
fs.symlinkSync(project, link, 'dir');
fs.writeFileSync(path.join(userDir, 'settings.js'), "module.exports = { uiHost: '127.0.0.1', uiPort: 18999, flowFile: 'flows.json' };\n");

const red = spawn(process.execPath, [path.join(project, 'node_modules', 'node-red', 'red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
red.stdout.on('data', (d) => { log += d; });
red.stderr.on('data', (d) => { log += d; });
const deadline = setTimeout(() => finish('Node-RED did not start in 300 s'), 300000);

function finish(problem) {
  clearTimeout(deadline);
  red.kill('SIGTERM');
  const sets = Object.keys(pkg['node-red'].nodes);
  const ours = log.split('\n').filter((line) => line.includes(`[${pkg.name}/`));
  const refused = sets.filter((set) => ours.some((line) => line.includes(`[${pkg.name}/${set}] Error: ${pkg.name} cannot run on linux/arm (32-bit ARM`)));
  const stackLines = log.split('\n').filter((line) => /^\s+at /.test(line));
  const failures = [
    problem,
    refused.length !== sets.length && `refused ${refused.length} of ${sets.length} node sets in one line`,
    stackLines.length && `${stackLines.length} stack trace lines in the log`,
  ].filter(Boolean);
  console.log(JSON.stringify({ node: process.version, arch: process.arch, refused: refused.length, of: sets.length, line: ours[0], failures }, null, 1));
  if (failures.length) console.log(log);
  process.exitCode = failures.length ? 1 : 0;
}

const waitForStart = setInterval(() => {
  if (/Started flows|Server now running/.test(log)) {
    clearInterval(waitForStart);
    finish(undefined);
  } else if (red.exitCode !== null) {
    clearInterval(waitForStart);
    finish(`Node-RED exited with ${red.exitCode}`);
  }
}, 200);
