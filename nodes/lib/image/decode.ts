// Any image a msg may carry, opened for sharp: the format sniffed from its bytes, raw RGB described
// by msg.frame, BMP, EXIF orientation, and the pixel limit checked before anything is decoded.
import sharp from 'sharp';
import { EdgeAiError, describeValue } from '../errors';
import { decodeBmp } from './bmp';
import { jpegDisplaySize } from './jpeg-size';
import { DEFAULT_MAX_PIXELS, checkPixels } from './limits';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'bmp';

/** Identify an encoded image by its magic bytes. */
export function sniffFormat(data: Buffer): ImageFormat | undefined {
  if (data.length < 12) return undefined;
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
  if (data.readUInt32BE(0) === 0x89504e47) return 'png';
  if (data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  if (data.toString('latin1', 0, 4) === 'GIF8') return 'gif';
  const tiffMagic = data.toString('latin1', 0, 4);
  if (tiffMagic === 'II*\u0000' || tiffMagic === 'MM\u0000*') return 'tiff';
  if (data.toString('latin1', 0, 2) === 'BM') return 'bmp';
  return undefined;
}

/** What a camera node says about its frame (msg.frame). */
export interface FrameInfo {
  format?: string;
  width?: number;
  height?: number;
}

export interface OpenedImage {
  image: sharp.Sharp;
  format: ImageFormat | 'rgb';
  width: number;
  height: number;
}

/** The size a PNG's header (IHDR) claims. */
function pngSize(data: Buffer): { width: number; height: number } | undefined {
  return data.length >= 24 && data.toString('latin1', 12, 16) === 'IHDR' ? { width: data.readUInt32BE(16), height: data.readUInt32BE(20) } : undefined;
}

/**
 * Open msg.payload as a sharp pipeline with its (orientation-corrected) size.
 * Raw RGB frames need msg.frame = {format: "rgb", width, height}.
 */
export async function openImage(given: unknown, frame?: FrameInfo, maxPixels = DEFAULT_MAX_PIXELS): Promise<OpenedImage> {
  const payload = typeof given === 'string' ? imageFromText(given) : given;
  if (!Buffer.isBuffer(payload)) throw new EdgeAiError('notImage', { received: describeValue(given) });
  if (frame?.format === 'rgb' && frame.width && frame.height) {
    const { width, height } = frame;
    checkPixels('raw RGB', width, height, maxPixels);
    if (payload.length !== width * height * 3) {
      throw new EdgeAiError('rawFrameSize', { expected: width * height * 3, width, height, received: payload.length });
    }
    return { image: sharp(payload, { raw: { width, height, channels: 3 } }), format: 'rgb', width, height };
  }
  const format = sniffFormat(payload);
  if (!format) throw new EdgeAiError('notImage', { received: describeValue(payload) });
  if (format === 'bmp') {
    const rgb = decodeBmp(payload, maxPixels);
    const image = sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
    return { image, format, width: rgb.width, height: rgb.height };
  }
  // The header's own claim, checked before anything is decoded.
  const claimed = format === 'jpeg' ? jpegDisplaySize(payload) : format === 'png' ? pngSize(payload) : undefined;
  if (claimed) checkPixels(format, claimed.width, claimed.height, maxPixels);
  try {
    // failOn 'error': a truncated JPEG is an error, not a grey half-frame.
    const image = sharp(payload, { failOn: 'error', limitInputPixels: maxPixels }).autoOrient();
    const size = (format === 'jpeg' ? claimed : undefined) ?? await orientedSize(image);
    checkPixels(format, size.width, size.height, maxPixels);
    return { image, format, width: size.width, height: size.height };
  } catch (err) {
    if (err instanceof EdgeAiError) throw err;
    throw corruptImage(format, payload, err);
  }
}

/** Longest text taken as an image (base64 of 48 MB). */
const MAX_IMAGE_TEXT = 64 * 1024 * 1024;

/**
 * An image that came as text, as dashboards, HTTP and websocket nodes often carry it: a data: URL
 * (data:image/jpeg;base64,...) or bare base64 that decodes to a known image format. Undefined
 * for any other text.
 */
export function imageFromText(text: string): Buffer | undefined {
  if (text.length > MAX_IMAGE_TEXT) return undefined;
  const dataUrl = /^data:image\/[\w.+-]+;base64,/i.exec(text);
  const base64 = dataUrl ? text.slice(dataUrl[0].length) : text.trim();
  if (!/^[A-Za-z0-9+/\r\n]+={0,2}$/.test(base64)) return undefined;
  const bytes = Buffer.from(base64, 'base64');
  return sniffFormat(bytes) ? bytes : undefined;
}

async function orientedSize(image: sharp.Sharp): Promise<{ width: number; height: number }> {
  const meta = await image.metadata();
  const size = meta.autoOrient ?? meta;
  if (!size.width || !size.height) throw new Error('no image size in header');
  return { width: size.width, height: size.height };
}

export function corruptImage(format: string, payload: Buffer, err: unknown): EdgeAiError {
  const reason = err instanceof Error ? err.message : String(err);
  return new EdgeAiError('corruptImage', { format, length: payload.length, reason });
}
