'use strict';
// NumPy .npy v1 files (a short text header, then the raw little-endian array in C order), as
// the golden outputs of TensorFlow Lite's interpreter in ../shared/assets come.
const fs = require('node:fs');

const TYPES = { '<f4': Float32Array, '|u1': Uint8Array, '|i1': Int8Array };

function readNpy(file) {
  const bytes = fs.readFileSync(file);
  if (bytes.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file} is not a .npy file`);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.toString('latin1', 10, 10 + headerLength);
  const descr = /'descr': '([^']+)'/.exec(header)[1];
  const shape = /'shape': \(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);
  const Type = TYPES[descr];
  if (!Type) throw new Error(`${file}: dtype ${descr} is not read here`);
  const data = bytes.subarray(10 + headerLength);
  return { shape, values: new Type(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
}

module.exports = { readNpy };
