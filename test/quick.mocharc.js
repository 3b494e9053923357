'use strict';
// `npm run test:quick`, the contributor's fast lane (under 2 minutes on 2 cores): the engine's
// own tests less the long ones (real ffmpeg reconnects, the int8 method searches, the outside
// referee, npm pack), then one pipeline through a real Node-RED runtime. `npm test` runs all.
const fs = require('node:fs');
const path = require('node:path');
const base = require('../.mocharc.json');

const LONG = ['rtsp-recovery', 'http-camera', 'capture', 'int8', 'onnx-referee', 'catalogue'];
const engine = fs.readdirSync(path.join(__dirname, 'engine')).filter((f) => f.endsWith('.test.js') && !LONG.includes(f.replace('.test.js', '')));

module.exports = { ...base, spec: [...engine.map((f) => `test/engine/${f}`), 'test/nodes/pipeline.test.js'] };
