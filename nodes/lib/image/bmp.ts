// BMP files, which sharp's libvips cannot read: uncompressed 8-bit (palette), 24- and 32-bit images
// decoded to RGB, within the pixel limit.
import { EdgeAiError } from '../errors';
import { checkPixels } from './limits';

export interface RgbImage {
  /** Interleaved RGB, 3 bytes per pixel, rows top to bottom. */
  data: Buffer;
  width: number;
  height: number;
}

/**
 * Decode an uncompressed Windows BMP (24/32-bit, or 8-bit with a palette). sharp's prebuilt
 * libvips has no BMP loader, and classic test photos (grace_hopper.bmp) come as BMP.
 */
export function decodeBmp(file: Buffer, maxPixels: number): RgbImage {
  const fail = (reason: string): never => {
    throw new EdgeAiError('unsupportedBmp', { reason });
  };
  if (file.length < 54 || file.toString('latin1', 0, 2) !== 'BM') fail('missing BM header');
  const pixelOffset = file.readUInt32LE(10);
  const headerSize = file.readUInt32LE(14);
  if (headerSize < 40) fail(`OS/2 header of ${headerSize} bytes`);
  const width = file.readInt32LE(18);
  const rawHeight = file.readInt32LE(22);
  const bitsPerPixel = file.readUInt16LE(28);
  const compression = file.readUInt32LE(30);
  const height = Math.abs(rawHeight);
  const bottomUp = rawHeight > 0;
  if (width <= 0 || height === 0) fail(`size ${width}x${rawHeight}`);
  checkPixels('bmp', width, height, maxPixels);
  // 3 = BI_BITFIELDS: only the common BGRA masks of 32-bit files are accepted.
  const bitfieldsBgra = compression === 3 && bitsPerPixel === 32 && file.readUInt32LE(54) === 0x00ff0000;
  if (compression !== 0 && !bitfieldsBgra) fail(`compression type ${compression}`);
  if (![8, 24, 32].includes(bitsPerPixel)) fail(`${bitsPerPixel} bits per pixel`);

  const rowStride = Math.ceil((width * bitsPerPixel) / 32) * 4;
  if (pixelOffset + rowStride * height > file.length) fail('pixel data shorter than the header says');
  let palette: Buffer | undefined;
  if (bitsPerPixel === 8) {
    const colours = file.readUInt32LE(46) || 256;
    palette = file.subarray(14 + headerSize, 14 + headerSize + colours * 4);
  }

  const out = Buffer.allocUnsafe(width * height * 3);
  const bytesPerPixel = bitsPerPixel / 8;
  for (let y = 0; y < height; y++) {
    const srcRow = pixelOffset + (bottomUp ? height - 1 - y : y) * rowStride;
    let dst = y * width * 3;
    for (let x = 0; x < width; x++, dst += 3) {
      let src = srcRow + x * bytesPerPixel;
      let source = file;
      if (palette) {
        src = file[src] * 4;
        source = palette;
      }
      out[dst] = source[src + 2];
      out[dst + 1] = source[src + 1];
      out[dst + 2] = source[src];
    }
  }
  return { data: out, width, height };
}
