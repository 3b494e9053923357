'use strict';
// A camera password on a real Node-RED server: deployed through the admin API like the editor
// does, it must not show in flows.json, the flow export, the credentials file, the log, any
// status or debug message, or any process's command line.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const WebSocket = require('ws');
const { startServer } = require('../helpers/server');
const { startRtspRelay } = require('../helpers/rtsp-server');
const { commandLinesWith } = require('../helpers/processes');
const { until } = require('../helpers/wait');

const PASSWORD = 'Sup3r-s3cret-camera-pw';

describe('a camera password on a real Node-RED server', function () {
  this.timeout(90000);

  it('never shows in flows.json, the export, the credentials file, the log, statuses, debug or ps', async () => {
    const relay = await startRtspRelay({ auth: { user: 'viewer', password: PASSWORD } });
    const url = `rtsp://127.0.0.1:${relay.port}/door`;
    const publisher = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10',
      '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '5', '-f', 'rtsp', '-rtsp_transport', 'tcp', url], { stdio: 'ignore' });
    const server = await startServer();
    const commandLines = [];
    const watcher = setInterval(() => commandLines.push(...commandLinesWith(PASSWORD)), 25);
    const traffic = [];
    const ws = new WebSocket(`${server.base.replace('http', 'ws')}/comms`);
    try {
      await until(() => relay.hasPublisher, 'the publisher');
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      ws.send(JSON.stringify({ subscribe: 'debug' }));
      ws.send(JSON.stringify({ subscribe: 'status/#' }));
      ws.on('message', (data) => traffic.push(String(data)));
      const deploy = async (password) => {
        const flows = [
          { id: 'cred-tab', type: 'tab', label: 'camera with a password' },
          { id: 'cred-cam', z: 'cred-tab', type: 'edge-ai-camera', name: 'door', source: 'stream', url, mode: 'continuous', fps: 5,
            credentials: { user: 'viewer', password }, wires: [['cred-debug']] },
          { id: 'cred-debug', z: 'cred-tab', type: 'debug', name: 'frames', active: true, tosidebar: true, complete: 'frame', targetType: 'msg', wires: [] },
        ];
        const response = await fetch(`${server.base}/flows`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
          body: JSON.stringify({ flows }),
        });
        assert.equal(response.status, 200, await response.text());
      };
      await deploy(PASSWORD);
      await until(() => traffic.some((t) => t.includes('"frames"') && t.includes('320')), 'frames in the debug sidebar', 30000);
      await deploy(`${PASSWORD}-wrong`);
      await until(() => traffic.some((t) => /reconnecting in .*401 Unauthorized/.test(t)), 'a reconnecting status naming the refusal', 30000);

      const exported = await (await fetch(`${server.base}/flows`)).text();
      // What the edit dialog gets: the user name, and only whether a password is set.
      const dialog = await (await fetch(`${server.base}/credentials/edge-ai-camera/cred-cam`)).json();
      assert.deepEqual(dialog, { user: 'viewer', has_password: true });
      const userFiles = ['flows.json', 'flows_cred.json'].map((f) => fs.readFileSync(path.join(server.userDir, f), 'utf8'));
      for (const [where, text] of [['GET /flows', exported], ['flows.json', userFiles[0]], ['flows_cred.json', userFiles[1]],
        ['the dialog credentials', JSON.stringify(dialog)], ['the Node-RED log', server.output()], ['statuses and debug messages', traffic.join('\n')]]) {
        assert.ok(!text.includes(PASSWORD), `the password shows in ${where}`);
      }
      assert.ok(userFiles[1].length > 0, 'the credentials file exists (encrypted)');
      assert.deepEqual(commandLines, [], 'no process had the password on its command line');
    } finally {
      clearInterval(watcher);
      ws.close();
      await server.stop();
      publisher.kill('SIGKILL');
      await relay.close();
    }
  });
});
