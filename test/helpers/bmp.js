'use strict';

/** A minimal uncompressed 24-bit BMP (bottom-up rows padded to 4 bytes), every byte `fill`. */
function bmp(width, height, fill = 0x80) {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const file = Buffer.alloc(54 + stride * height, fill);
  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(54, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(width, 18);
  file.writeInt32LE(height, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(24, 28);
  file.fill(0, 30, 54); // no compression, no palette
  return file;
}

module.exports = { bmp };
