import sharp from 'sharp';
import { EdgeAiError, describeValue } from '../errors';
import { decodeBmp } from './bmp';
import { jpegDisplaySize } from './jpeg-size';

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

/**
 * Open msg.payload as a sharp pipeline with its (orientation-corrected) size.
 * Raw RGB frames need msg.frame = {format: "rgb", width, height}.
 */
export async function openImage(payload: unknown, frame?: FrameInfo): Promise<OpenedImage> {
  if (!Buffer.isBuffer(payload)) throw new EdgeAiError('notImage', { received: describeValue(payload) });
  if (frame?.format === 'rgb' && frame.width && frame.height) {
    const { width, height } = frame;
    if (payload.length !== width * height * 3) {
      throw new EdgeAiError('rawFrameSize', { expected: width * height * 3, width, height, received: payload.length });
    }
    return { image: sharp(payload, { raw: { width, height, channels: 3 } }), format: 'rgb', width, height };
  }
  const format = sniffFormat(payload);
  if (!format) throw new EdgeAiError('notImage', { received: describeValue(payload) });
  if (format === 'bmp') {
    const rgb = decodeBmp(payload);
    const image = sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
    return { image, format, width: rgb.width, height: rgb.height };
  }
  try {
    // failOn 'error': a truncated JPEG is an error, not a grey half-frame.
    const image = sharp(payload, { failOn: 'error' }).autoOrient();
    const size = (format === 'jpeg' ? jpegDisplaySize(payload) : undefined) ?? await orientedSize(image);
    return { image, format, width: size.width, height: size.height };
  } catch (err) {
    throw corruptImage(format, payload, err);
  }
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
