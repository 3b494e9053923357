// Frame sources a camera pulls from: the test pattern drawn with sharp, an image file, and a
// folder of images read in name order.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { EdgeAiError } from '../errors';
import { jpegEnd, openImage, sniffFormat } from '../image';

export interface Frame {
  /** Encoded JPEG, or width*height*3 bytes of RGB when format is "rgb". */
  data: Buffer;
  format?: 'jpeg' | 'rgb';
  width: number;
  height: number;
  /** Where it came from: "pattern", a file path. */
  source: string;
}

/** Something that produces frames on request; `next()` resolves undefined when it has no more. */
export interface FrameSource {
  next(): Promise<Frame | undefined>;
  close(): void;
}

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff'];

/**
 * JPEG bytes pass through untouched; anything else is decoded and encoded as JPEG. An image that
 * cannot be used is an error that names where it came from (a file of a folder, a URL).
 */
export async function toJpegFrame(data: Buffer, source: string, quality: number): Promise<Frame> {
  try {
    // A JPEG passes through undecoded, so at least its end must be there: a file cut short is no frame.
    if (sniffFormat(data) === 'jpeg' && jpegEnd(data) === undefined) throw new Error('the JPEG is cut short (no end marker)');
    const opened = await openImage(data);
    const jpeg = sniffFormat(data) === 'jpeg' ? data : await opened.image.removeAlpha().jpeg({ quality }).toBuffer();
    return { data: jpeg, width: opened.width, height: opened.height, source };
  } catch (err) {
    throw new EdgeAiError('badImageSource', { path: source, reason: err instanceof Error ? err.message : String(err) });
  }
}

export interface PatternOptions {
  width: number;
  height: number;
  quality: number;
  /** Optional picture behind the shapes (decoded once, scaled to cover the frame). */
  background?: Buffer;
  now?: () => number;
}

/** A test pattern drawn by sharp (see patternSvg): a camera that needs no hardware and no ffmpeg. */
export class TestPatternSource implements FrameSource {
  readonly #options: PatternOptions;
  #background: Promise<Buffer> | undefined;
  #count = 0;

  constructor(options: PatternOptions) {
    this.#options = options;
    const { width, height, background } = options;
    if (background) {
      this.#background = openImage(background).then((opened) =>
        opened.image.removeAlpha().resize(width, height, { fit: 'cover' }).raw().toBuffer());
    }
  }

  async next(): Promise<Frame> {
    const { width, height, quality } = this.#options;
    const time = (this.#options.now ?? Date.now)();
    const overlay = Buffer.from(patternSvg(width, height, time, this.#count++, !this.#background));
    const base = this.#background
      ? sharp(await this.#background, { raw: { width, height, channels: 3 } })
      : sharp({ create: { width, height, channels: 3, background: { r: 32, g: 36, b: 48 } } });
    const data = await base.composite([{ input: overlay, top: 0, left: 0 }]).jpeg({ quality }).toBuffer();
    return { data, width, height, source: 'pattern' };
  }

  close(): void {
    this.#background = undefined;
  }
}

/** The stop sign crosses the frame in SIGN_CROSSING_MS, then stays out of it until the cycle ends. */
const SIGN_CYCLE_MS = 12000;
const SIGN_CROSSING_MS = 8000;
/** The ball goes across and back in this time. */
const BALL_PERIOD_MS = 3000;

/**
 * Colour bars (without a background photo), a bouncing ball, an analog clock showing the frame's
 * time, a stop sign that crosses the frame and leaves it, and a time stamp with the frame number. COCO
 * detectors see the clock and the stop sign (YOLOv8n: "clock" 0.89-0.93, "stop sign" 0.95), so
 * a flow shows detections, and start and end events, with no camera and no photo.
 */
export function patternSvg(width: number, height: number, time: number, count: number, bars: boolean): string {
  const unit = Math.min(width, height);
  const font = Math.max(10, Math.round(height / 18));
  const colours = ['#ffffff', '#ffff00', '#00ffff', '#00ff00', '#ff00ff', '#ff0000', '#0000ff'];
  const barWidth = width / colours.length;
  const colourBars = bars
    ? colours.map((c, i) => `<rect x="${Math.round(i * barWidth)}" y="0" width="${Math.ceil(barWidth)}" height="${Math.round(height * 0.22)}" fill="${c}"/>`).join('')
    : '';
  const clockRadius = unit * 0.17;
  const signRadius = unit * 0.13;
  const phase = (time % SIGN_CYCLE_MS) / SIGN_CROSSING_MS;
  const signX = phase <= 1 ? -signRadius + (width + 2 * signRadius) * phase : -2 * signRadius;
  // A ball bouncing left of the clock at a steady speed, so something moves between any two
  // frames, with or without the sign.
  const ballRadius = unit / 14;
  const bounce = (time % BALL_PERIOD_MS) / BALL_PERIOD_MS;
  const ballX = ballRadius + (width * 0.6 - 2 * ballRadius) * (bounce < 0.5 ? 2 * bounce : 2 - 2 * bounce);
  const stamp = new Date(time).toISOString().replace('T', ' ').slice(0, 23);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${colourBars}` +
    `<circle cx="${round1(ballX)}" cy="${round1(height * 0.36)}" r="${round1(ballRadius)}" fill="#ff6a00" stroke="#000" stroke-width="2"/>` +
    analogClock(width - 1.3 * clockRadius, height * 0.4, clockRadius, new Date(time)) +
    stopSign(signX, height * 0.7, signRadius, height) +
    `<rect x="0" y="${height - font * 1.6}" width="${width}" height="${font * 1.6}" fill="#000" fill-opacity="0.6"/>` +
    `<text x="${font / 2}" y="${height - font * 0.5}" font-family="sans-serif" font-size="${font}" fill="#fff">${stamp}  #${count}</text></svg>`;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** A line from the centre at `degrees` clockwise from 12, `length` of the radius long. */
function hand(cx: number, cy: number, r: number, degrees: number, length: number, width: number, colour: string): string {
  const a = (degrees * Math.PI) / 180;
  return `<line x1="${round1(cx)}" y1="${round1(cy)}" x2="${round1(cx + Math.sin(a) * r * length)}" y2="${round1(cy - Math.cos(a) * r * length)}" ` +
    `stroke="${colour}" stroke-width="${round1(width)}" stroke-linecap="round"/>`;
}

function analogClock(cx: number, cy: number, r: number, at: Date): string {
  const minutes = at.getMinutes() + at.getSeconds() / 60;
  const ticks = Array.from({ length: 12 }, (_, i) => {
    const a = (i * Math.PI) / 6;
    const [sin, cos] = [Math.sin(a), Math.cos(a)];
    return `<line x1="${round1(cx + sin * r * 0.8)}" y1="${round1(cy - cos * r * 0.8)}" x2="${round1(cx + sin * r * 0.95)}" y2="${round1(cy - cos * r * 0.95)}" stroke="#000" stroke-width="${round1(r * 0.06)}"/>`;
  }).join('');
  return `<circle cx="${round1(cx)}" cy="${round1(cy)}" r="${round1(r)}" fill="#fff" stroke="#222" stroke-width="${round1(r * 0.08)}"/>${ticks}` +
    hand(cx, cy, r, ((at.getHours() % 12) + minutes / 60) * 30, 0.5, r * 0.08, '#000') +
    hand(cx, cy, r, minutes * 6, 0.75, r * 0.05, '#000') +
    hand(cx, cy, r, at.getSeconds() * 6, 0.85, r * 0.02, '#c00') +
    `<circle cx="${round1(cx)}" cy="${round1(cy)}" r="${round1(r * 0.05)}"/>`;
}

/** A red octagon with a white rim and "STOP" on a grey post reaching down to `bottom`. */
function stopSign(cx: number, cy: number, r: number, bottom: number): string {
  const octagon = (radius: number): string => Array.from({ length: 8 }, (_, i) => {
    const a = ((i + 0.5) * Math.PI) / 4;
    return `${round1(cx + Math.cos(a) * radius)},${round1(cy + Math.sin(a) * radius)}`;
  }).join(' ');
  return `<rect x="${round1(cx - r * 0.06)}" y="${round1(cy)}" width="${round1(r * 0.12)}" height="${round1(bottom - cy)}" fill="#888"/>` +
    `<polygon points="${octagon(r)}" fill="#fff"/><polygon points="${octagon(r * 0.9)}" fill="#c8102e"/>` +
    `<text x="${round1(cx)}" y="${round1(cy + r * 0.2)}" font-family="sans-serif" font-weight="bold" font-size="${round1(r * 0.55)}" fill="#fff" text-anchor="middle">STOP</text>`;
}

/** The same image file on every request. */
export class FileSource implements FrameSource {
  constructor(readonly file: string, readonly quality: number) {}

  async next(): Promise<Frame> {
    return toJpegFrame(await readImageFile(this.file), this.file, this.quality);
  }

  close(): void {}
}

/** Image files of a folder in name order; at the end it starts again or reports the end. */
export class FolderSource implements FrameSource {
  #files: string[] = [];
  #index = 0;

  constructor(readonly folder: string, readonly loop: boolean, readonly quality: number) {}

  async next(): Promise<Frame | undefined> {
    if (this.#index >= this.#files.length) {
      if (this.#files.length && !this.loop) return undefined;
      this.#files = await listImages(this.folder);
      this.#index = 0;
    }
    const file = this.#files[this.#index++];
    return toJpegFrame(await readImageFile(file), file, this.quality);
  }

  close(): void {
    this.#files = [];
  }
}

export async function listImages(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch {
    throw new EdgeAiError('fileNotFound', { path: folder });
  }
  const images = names
    .filter((name) => IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase()))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((name) => path.join(folder, name));
  if (!images.length) throw new EdgeAiError('folderEmpty', { path: folder });
  return images;
}

async function readImageFile(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch {
    throw new EdgeAiError('fileNotFound', { path: file });
  }
}
