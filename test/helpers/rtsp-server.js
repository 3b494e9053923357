'use strict';
// A small RTSP relay for tests, speaking RTP interleaved in the RTSP TCP connection (the
// transport most IP cameras are read with). A real ffmpeg publishes into it with ANNOUNCE and
// RECORD; real ffmpeg clients read from it with DESCRIBE, SETUP and PLAY. The Debian relay
// (rtsp-server-perl) speaks RTP over UDP only.
const net = require('node:net');

/** Splits an RTSP connection's bytes into requests (with bodies) and interleaved packets. */
function rtspReader(onRequest, onPacket) {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (pending[0] === 0x24) { // '$', channel, 16-bit length, RTP or RTCP packet
        if (pending.length < 4) return;
        const end = 4 + pending.readUInt16BE(2);
        if (pending.length < end) return;
        onPacket(pending[1], pending.subarray(0, end));
        pending = pending.subarray(end);
        continue;
      }
      const headEnd = pending.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const [start, ...lines] = pending.subarray(0, headEnd).toString('latin1').split('\r\n');
      const headers = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const bodyEnd = headEnd + 4 + Number(headers['content-length'] ?? 0);
      if (pending.length < bodyEnd) return;
      const [method, url] = start.split(' ');
      onRequest({ method, url, headers, body: pending.subarray(headEnd + 4, bodyEnd).toString('latin1') });
      pending = pending.subarray(bodyEnd);
    }
  };
}

function reply(socket, request, status, headers = {}, body = '') {
  const lines = [`RTSP/1.0 ${status}`, `CSeq: ${request.headers.cseq ?? 0}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * Starts the relay on 127.0.0.1; with `auth: { user, password }` readers must log in (Basic).
 * `dropPublisher({ resetClients })` cuts the publisher off, and with resetClients also the
 * readers (a camera that reboots) rather than leaving them waiting on a silent connection (a
 * camera that hangs).
 */
async function startRtspRelay({ auth } = {}) {
  const login = auth && `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  const READER_METHODS = ['DESCRIBE', 'SETUP', 'PLAY'];
  let sdp; // the publisher's stream description, while one is publishing
  let publisher;
  const players = new Map(); // reader socket -> the publisher it joined; a new publisher does not feed old readers
  const sockets = new Set();
  let sessions = 0;

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => { sockets.delete(socket); players.delete(socket); if (publisher === socket) { publisher = undefined; sdp = undefined; } });
    socket.on('error', () => socket.destroy());
    socket.on('data', rtspReader((request) => {
      const session = request.headers.session?.split(';')[0] ?? String(++sessions);
      if (login && READER_METHODS.includes(request.method) && socket !== publisher && request.headers.authorization !== login) {
        return reply(socket, request, '401 Unauthorized', { 'WWW-Authenticate': 'Basic realm="camera"' });
      }
      switch (request.method) {
        case 'ANNOUNCE':
          publisher?.destroy();
          publisher = socket;
          sdp = request.body;
          return reply(socket, request, '200 OK');
        case 'DESCRIBE':
          if (!sdp) return reply(socket, request, '404 Not Found');
          return reply(socket, request, '200 OK', { 'Content-Base': `${request.url}/`, 'Content-Type': 'application/sdp' }, sdp);
        case 'SETUP':
          if (!/RTP\/AVP\/TCP/i.test(request.headers.transport ?? '')) return reply(socket, request, '461 Unsupported Transport');
          return reply(socket, request, '200 OK', { Transport: request.headers.transport, Session: session });
        case 'PLAY':
          if (!sdp) return reply(socket, request, '454 Session Not Found');
          players.set(socket, publisher);
          return reply(socket, request, '200 OK', { Session: session });
        case 'TEARDOWN':
          players.delete(socket);
          return reply(socket, request, '200 OK', { Session: session });
        default: // OPTIONS, RECORD, GET_PARAMETER keep-alives
          return reply(socket, request, '200 OK', { Public: 'OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, RECORD, TEARDOWN', Session: session });
      }
    }, (_channel, packet) => {
      // The publisher's RTP goes to every player on the same channel; players' RTCP is dropped.
      if (socket !== publisher) return;
      for (const [player, source] of players) if (source === socket && player.writableLength < 4 << 20) player.write(packet);
    }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    get hasPublisher() { return Boolean(sdp); },
    get players() { return players.size; },
    dropPublisher({ resetClients }) {
      publisher?.destroy();
      if (resetClients) for (const player of players.keys()) player.destroy();
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

module.exports = { startRtspRelay };
