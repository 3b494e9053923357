'use strict';
// Waiting helpers shared by the tests: a pause, a polled condition with a deadline, a free port.
const net = require('node:net');

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll `predicate` until it holds; fail naming `what` after `timeoutMs`. */
async function until(predicate, what, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(20);
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

module.exports = { delay, until, freePort };
