// A frame as the collect node stores it: checked to be an image, made into the small grey
// thumbnail the sampler compares, and into the JPEG bytes that go into the folder.
import { EdgeAiError, describeValue } from '../errors';
import { corruptImage, imageFromText, openImage, sniffFormat, type FrameInfo } from '../image';

/** Thumbnails are this many pixels square. */
export const THUMBNAIL_SIZE = 16;

/** Quality of frames that came in another format than JPEG. */
export const JPEG_QUALITY = 92;

/**
 * Throws notImage unless msg.payload holds an image openImage takes: an encoded image Buffer,
 * a data: URL or base64 text of one, or raw RGB described by msg.frame. Cheap: the bytes are
 * only sniffed, nothing is decoded.
 */
export function checkImage(payload: unknown, frame?: FrameInfo): void {
  const bytes = typeof payload === 'string' ? imageFromText(payload) : payload;
  const ok = Buffer.isBuffer(bytes) && (sniffFormat(bytes) !== undefined || (frame?.format === 'rgb' && !!frame.width && !!frame.height));
  if (!ok) throw new EdgeAiError('notImage', { received: describeValue(payload) });
}

export interface FrameImage {
  thumbnail: Float32Array;
  /** The JPEG to store: the payload itself when it is one, otherwise encoded now. */
  jpeg(): Promise<Buffer>;
}

/** Open a frame: its thumbnail at once, its JPEG on demand (only frames that are kept need one). */
export async function frameImage(payload: unknown, frame?: FrameInfo): Promise<FrameImage> {
  const opened = await openImage(payload, frame);
  const bytes = typeof payload === 'string' ? imageFromText(payload)! : payload as Buffer;
  // A header that reads well does not make a whole image: a cut JPEG fails here.
  const { data, info } = await opened.image.clone()
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'fill' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((err: unknown) => {
      throw corruptImage(opened.format, bytes, err);
    });
  const thumbnail = new Float32Array(THUMBNAIL_SIZE * THUMBNAIL_SIZE);
  // Grey, or grey and alpha: the first channel of each pixel.
  for (let i = 0; i < thumbnail.length; i++) thumbnail[i] = data[i * info.channels] / 255;
  const jpeg = opened.format === 'jpeg'
    ? () => Promise.resolve(bytes)
    : () => opened.image.clone().jpeg({ quality: JPEG_QUALITY }).toBuffer();
  return { thumbnail, jpeg };
}
