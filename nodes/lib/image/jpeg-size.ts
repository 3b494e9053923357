// The displayed size of a JPEG read from its header (SOF) and EXIF orientation, in microseconds
// on the Node-RED thread: asking sharp for metadata costs a round trip through the thread pool
// for every frame. Anything it cannot be sure of (two EXIF blocks, an orientation tag of another
// type) returns undefined and the caller asks sharp after all.

/** Start-of-frame markers (baseline, progressive, lossless, arithmetic): C0-CF without C4, C8, CC. */
const isStartOfFrame = (marker: number): boolean => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
const START_OF_SCAN = 0xda;
const APP1 = 0xe1;
const ORIENTATION_TAG = 0x0112;

/** Orientation 1-8, or what makes the fast path give up: EXIF it cannot read with certainty. */
type Orientation = number | 'unsure';

export function jpegDisplaySize(data: Buffer): { width: number; height: number } | undefined {
  let orientation: Orientation | undefined;
  let at = 2;
  while (at + 4 <= data.length) {
    if (data[at] !== 0xff) return undefined;
    const marker = data[at + 1];
    // Fill bytes and markers without a length.
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2;
      continue;
    }
    const length = data.readUInt16BE(at + 2);
    const end = at + 2 + length;
    if (length < 2 || end > data.length || marker === START_OF_SCAN) return undefined;
    if (marker === APP1 && data.toString('latin1', at + 4, at + 10) === 'Exif\0\0') {
      // Which of two EXIF blocks libvips believes is its business: ask it.
      if (orientation !== undefined) return undefined;
      orientation = exifOrientation(data, at + 10, end);
      if (orientation === 'unsure') return undefined;
    }
    if (isStartOfFrame(marker)) {
      if (length < 8) return undefined;
      const [height, width] = [data.readUInt16BE(at + 5), data.readUInt16BE(at + 7)];
      if (!width || !height) return undefined;
      // Orientations 5 to 8 turn the image by a quarter.
      return typeof orientation === 'number' && orientation >= 5 ? { width: height, height: width } : { width, height };
    }
    at = end;
  }
  return undefined;
}

const SHORT = 3;

/**
 * The orientation tag of IFD0 in the TIFF structure of an EXIF block: 1 when there is none, and
 * 'unsure' for anything a reader could take another way (a broken structure, the tag of another
 * type or count, a value outside 1-8).
 */
function exifOrientation(data: Buffer, tiff: number, end: number): Orientation {
  if (tiff + 8 > end) return 'unsure';
  const order = data.toString('latin1', tiff, tiff + 2);
  if (order !== 'II' && order !== 'MM') return 'unsure';
  const little = order === 'II';
  const u16 = (at: number): number => (little ? data.readUInt16LE(at) : data.readUInt16BE(at));
  const u32 = (at: number): number => (little ? data.readUInt32LE(at) : data.readUInt32BE(at));
  if (u16(tiff + 2) !== 42) return 'unsure';
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return 'unsure';
  const entries = u16(ifd);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return 'unsure';
    if (u16(entry) !== ORIENTATION_TAG) continue;
    const value = u16(entry + 8);
    return u16(entry + 2) === SHORT && u32(entry + 4) === 1 && value >= 1 && value <= 8 ? value : 'unsure';
  }
  return 1;
}

/** Bytes a writer may put after a JPEG's end marker (CR, LF, padding) that are still taken as its end. */
const MAX_TRAILER = 8;

/** Where the JPEG in `data` ends (just after its end marker FF D9, found at or near the end), or undefined: cut short. */
export function jpegEnd(data: Buffer): number | undefined {
  for (let at = data.length - 2; at >= Math.max(2, data.length - 2 - MAX_TRAILER); at--) {
    if (data[at] === 0xff && data[at + 1] === 0xd9) return at + 2;
  }
  return undefined;
}
