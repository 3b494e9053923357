'use strict';
// A real Node-RED server in its own process, started the way `npm start` starts it.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startNodeRed } = require('../../scripts/start.js');
const { freePort } = require('./wait');


/**
 * Start Node-RED with the package linked into a fresh user dir and the demo flows (or none).
 * `launch(port, userDir)` returns the child process (default: startNodeRed with `settings`).
 * @param {{ settings?: string, launch?: (port: number, userDir: string) => import('node:child_process').ChildProcess, demo?: boolean, env?: object }} [options]
 */
async function startServer({ settings = '', launch, demo = true, env = {} } = {}) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-server-'));
  const port = await freePort();
  const child = launch ? launch(port, userDir) : startNodeRed({ userDir, port, settings, demo, env: { PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const until = Date.now() + 60000;
  while (!/Started flows/.test(output)) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`Node-RED did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base: `http://127.0.0.1:${port}`,
    userDir,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

module.exports = { startServer };
