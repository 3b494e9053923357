// How large an image the pipeline decodes. Checked against the size a file claims in its header,
// before anything is decoded: a small file that claims a huge size (a decompression bomb) is
// refused in microseconds instead of filling the memory.
import { EdgeAiError } from '../errors';
import { numberSetting } from '../settings';

/** The default: 40 megapixels (an 8K frame is 33, a phone photo 12). */
export const DEFAULT_MAX_PIXELS = 40_000_000;

/**
 * The "Largest image" setting (megapixels, 0.01 to 1000) as whole pixels: sharp's
 * limitInputPixels takes integers only (2.01 * 1e6 is not one).
 */
export function maxPixelsSetting(megapixels: unknown): number {
  return Math.round(numberSetting('maxMegapixels', megapixels, DEFAULT_MAX_PIXELS / 1e6, 0.01, 1000) * 1e6);
}

/** Megapixels to one decimal, or two below one megapixel. */
const megapixels = (pixels: number): number => (pixels >= 1e6 ? Math.round(pixels / 1e5) / 10 : Math.round(pixels / 1e4) / 100);

export function checkPixels(format: string, width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new EdgeAiError('imageTooLarge', { format, width, height, megapixels: megapixels(width * height), limit: megapixels(maxPixels) });
  }
}
