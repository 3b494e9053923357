'use strict';
// A camera's file or URL taken from a message: off unless allowed; when allowed, hostile values
// are refused before any file is opened, any connection made or any process started.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { helper, load, collect } = require('../helpers/flow');
const { images } = require('../helpers/paths');
const { childProcesses } = require('../helpers/processes');
const { fileFromMessage, urlFromMessage } = require('../../dist/lib/camera');

describe('camera sources named by messages', function () {
  this.timeout(30000);
  let dir;
  let outside;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-msg-source-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-outside-'));
    fs.mkdirSync(path.join(dir, 'cams'));
    fs.copyFileSync(path.join(images, 'orange.jpg'), path.join(dir, 'cams', 'front.jpg'));
    fs.copyFileSync(path.join(images, 'apple.jpg'), path.join(outside, 'secret.jpg'));
    fs.symlinkSync(path.join(outside, 'secret.jpg'), path.join(dir, 'cams', 'link.jpg'));
    fs.writeFileSync(path.join(dir, 'cams', 'notes.txt'), 'not an image');
    fs.mkdirSync(path.join(dir, 'cams', 'album.jpg')); // a folder with an image's name
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });
  afterEach(() => helper.unload());

  it('refuses hostile paths: ../, absolute, symlinks out, protocols, a leading -, NUL, non-strings', async () => {
    const folder = path.join(dir, 'cams');
    const refusals = {
      '../../etc/passwd': /climbs out of the folder/,
      '/etc/passwd': /is absolute/,
      'link.jpg': /leads out of .* through a link/,
      'file:///etc/passwd': /names a protocol/,
      'concat:a.jpg|b.jpg': /names a protocol/,
      '-i /etc/passwd': /starts with "-"/,
      'front.jpg\0.png': /NUL byte/,
      '': /non-empty string/,
      'notes.txt': /only image files are taken/,
      'album.jpg': /not a regular file/,
    };
    for (const [value, reason] of Object.entries(refusals)) {
      await assert.rejects(fileFromMessage(value, folder), (err) => reason.test(err.message) && /msg.path/.test(err.message), JSON.stringify(value));
    }
    await assert.rejects(fileFromMessage({ path: 'x' }, folder), /msg.path object \{path\} was refused/);
    assert.equal(await fileFromMessage('front.jpg', folder), fs.realpathSync(path.join(folder, 'front.jpg')));
  });

  it('refuses hostile URLs: other protocols, credentials, link-local hosts (also by name), a leading -', async () => {
    const lookup = async (host) => (host === 'metadata.internal' ? [{ address: '169.254.169.254' }] : [{ address: '192.0.2.10' }]);
    const refusals = {
      'file:///etc/passwd': /only http, https URLs are taken, not file:/,
      'concat:http://a/x.jpg|http://b/y.jpg': /only http, https URLs are taken, not concat:/,
      'http://169.254.169.254/latest/meta-data/': /link-local/,
      'http://[fe80::1]/snap.jpg': /link-local/,
      'http://[::ffff:169.254.169.254]/snap.jpg': /link-local/, // IPv4-mapped, which URL writes as [::ffff:a9fe:a9fe]
      'http://[64:ff9b::169.254.169.254]/snap.jpg': /link-local/, // NAT64
      'http://[fd00:ec2::254]/latest/meta-data/': /metadata/, // AWS's IPv6 metadata service
      'http://2852039166/': /link-local/, // 169.254.169.254 as one number
      'http://metadata.internal/snap.jpg': /link-local/,
      'http://user:secret@camera.local/snap.jpg': /carries a user or password/,
      '-f lavfi -i testsrc': /starts with "-"/,
      'not a url': /is not a URL/,
    };
    for (const [value, reason] of Object.entries(refusals)) {
      await assert.rejects(urlFromMessage(value, ['http', 'https'], lookup), (err) => reason.test(err.message), value);
    }
    assert.equal((await urlFromMessage('http://camera.local/snap.jpg', ['http', 'https'], lookup)).host, 'camera.local');
  });

  it('checks the addresses again when it connects: a name that now resolves to a metadata address is refused', async () => {
    const { guardedLookup, fetchImage } = require('../../dist/lib/camera');
    // localhost resolves to 127.0.0.1 (allowed: cameras live there); the check sees every address.
    const dns = require('node:dns');
    const original = dns.lookup;
    dns.lookup = (host, options, callback) => (host === 'rebound.test' ? callback(null, [{ address: '169.254.169.254', family: 4 }]) : original(host, options, callback));
    try {
      await assert.rejects(fetchImage('http://rebound.test/snap.jpg', 'http://rebound.test/snap.jpg', 2000, guardedLookup), /resolves to 169\.254\.169\.254, a link-local or metadata address/);
    } finally {
      dns.lookup = original;
    }
  });

  it('a camera takes no file from msg unless allowed, and says so', async () => {
    await load([
      { id: 'cam', type: 'edge-ai-camera', source: 'file', path: path.join(dir, 'cams', 'front.jpg'), mode: 'ondemand', wires: [['out']] },
      { id: 'out', type: 'helper' },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const caught = collect('caught', 1);
    helper.getNode('cam').receive({ path: 'front.jpg' });
    assert.match((await caught)[0].error.message, /msg.path was given, but this camera takes its file or URL from messages only when/);
  });

  it('allowed, it reads files of its folder and refuses the rest without opening them or starting a process', async () => {
    await load([
      { id: 'cam', type: 'edge-ai-camera', source: 'file', path: path.join(dir, 'cams', 'front.jpg'), mode: 'ondemand', msgSource: true, wires: [['out']] },
      { id: 'out', type: 'helper' },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const frame = collect('out', 1);
    helper.getNode('cam').receive({ path: 'front.jpg' });
    const [msg] = await frame;
    assert.equal(msg.frame.source, fs.realpathSync(path.join(dir, 'cams', 'front.jpg')));
    assert.ok(msg.payload.length > 1000);
    // Refused, each with its reason; the link out of the folder is refused, not followed.
    const before = new Set(childProcesses().map((c) => c.pid));
    const hostile = ['link.jpg', '../../../etc/passwd', '/etc/hostname', '-x', 'a\0b'];
    const errors = collect('caught', hostile.length);
    for (const value of hostile) helper.getNode('cam').receive({ path: value });
    const messages = (await errors).map((m) => m.error.message);
    assert.ok(messages.every((m) => /was refused/.test(m)), messages.join('\n'));
    assert.deepEqual(childProcesses().filter((c) => !before.has(c.pid)).map((c) => c.args), [], 'no process started');
  });

  it('a snapshot camera allowed to take msg.url fetches only what passes, and never connects for the rest', async () => {
    let requests = 0;
    const jpeg = fs.readFileSync(path.join(images, 'orange.jpg'));
    const server = http.createServer((req, res) => { requests++; res.writeHead(200, { 'Content-Type': 'image/jpeg' }); res.end(jpeg); });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}/snap.jpg`;
    try {
      await load([
        { id: 'cam', type: 'edge-ai-camera', source: 'snapshot', url, mode: 'ondemand', msgSource: true, wires: [['out']] },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]);
      const errors = collect('caught', 3);
      for (const value of ['http://169.254.169.254/latest/meta-data/', `file:///etc/passwd`, `http://user:pw@127.0.0.1:${server.address().port}/snap.jpg`]) {
        helper.getNode('cam').receive({ url: value });
      }
      assert.ok((await errors).every((m) => /msg.url .* was refused/.test(m.error.message)));
      assert.equal(requests, 0, 'no request for a refused URL');
      const frame = collect('out', 1);
      helper.getNode('cam').receive({ url: url.replace('snap', 'other') });
      const [msg] = await frame;
      assert.equal(requests, 1);
      assert.equal(msg.frame.source, url.replace('snap', 'other'));
    } finally {
      server.close();
    }
  });
});
