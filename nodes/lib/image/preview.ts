// A small JPEG of a frame for the editor: downscaled here, so a dialog never pulls full frames
// over the network.
import { openImage, type FrameInfo } from './decode';

/** Widest preview sent. */
export const PREVIEW_MAX_WIDTH = 640;

/** The JPEG, and the size of the frame it shows (zones in pixels are in those). */
export async function previewJpeg(image: unknown, frame: FrameInfo | undefined, maxWidth = PREVIEW_MAX_WIDTH): Promise<{ jpeg: Buffer; sourceWidth: number; sourceHeight: number }> {
  const opened = await openImage(image, frame);
  const width = Math.min(Math.round(maxWidth), opened.width);
  const jpeg = await opened.image.resize({ width }).jpeg({ quality: 70 }).toBuffer();
  return { jpeg, sourceWidth: opened.width, sourceHeight: opened.height };
}
