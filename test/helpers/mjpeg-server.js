'use strict';
// An HTTP MJPEG camera on 127.0.0.1 sending the sample video's frames (5 fps clip) every 50 ms;
// `paused` stalls it: connections stay open and get nothing, as from a hung camera.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { assets } = require('./paths');
const { JpegStreamSplitter } = require('../../dist/lib/camera');

async function startMjpegServer() {
  const frames = [];
  new JpegStreamSplitter({ frame: (f) => frames.push(f) }).push(fs.readFileSync(path.join(assets, 'media', 'video', 'vtest_10s_5fps.mjpeg')));
  const camera = { paused: false };
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'multipart/x-mixed-replace; boundary=b' });
    let i = 0;
    const timer = setInterval(() => {
      if (!camera.paused) res.write(Buffer.concat([Buffer.from('--b\r\nContent-Type: image/jpeg\r\n\r\n'), frames[i++ % frames.length], Buffer.from('\r\n')]));
    }, 50);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  camera.port = server.address().port;
  camera.close = () => {
    server.closeAllConnections();
    server.close();
  };
  return camera;
}

module.exports = { startMjpegServer };
