import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { EdgeAiError } from '../errors';
import { openImage, sniffFormat } from '../image/decode';

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

/** JPEG bytes pass through untouched; anything else is decoded and encoded as JPEG. */
export async function toJpegFrame(data: Buffer, source: string, quality: number): Promise<Frame> {
  const opened = await openImage(data);
  const jpeg = sniffFormat(data) === 'jpeg' ? data : await opened.image.removeAlpha().jpeg({ quality }).toBuffer();
  return { data: jpeg, width: opened.width, height: opened.height, source };
}

export interface PatternOptions {
  width: number;
  height: number;
  quality: number;
  /** Optional picture behind the shapes (decoded once, scaled to cover the frame). */
  background?: Buffer;
  now?: () => number;
}

/** Moving shapes and a timestamp drawn by sharp: a camera that needs no hardware and no ffmpeg. */
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

function patternSvg(width: number, height: number, time: number, count: number, bars: boolean): string {
  const phase = (time % 4000) / 4000;
  const r = Math.max(4, Math.round(Math.min(width, height) / 8));
  const cx = Math.round(r + (width - 2 * r) * (0.5 + 0.5 * Math.sin(2 * Math.PI * phase)));
  const sq = Math.round(r * 1.6);
  const sx = Math.round((width - sq) * phase);
  const sy = Math.round(height * 0.62);
  const font = Math.max(10, Math.round(height / 18));
  const colours = ['#ffffff', '#ffff00', '#00ffff', '#00ff00', '#ff00ff', '#ff0000', '#0000ff'];
  const barWidth = width / colours.length;
  const colourBars = bars
    ? colours.map((c, i) => `<rect x="${Math.round(i * barWidth)}" y="0" width="${Math.ceil(barWidth)}" height="${Math.round(height * 0.25)}" fill="${c}"/>`).join('')
    : '';
  const stamp = new Date(time).toISOString().replace('T', ' ').slice(0, 23);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${colourBars}` +
    `<circle cx="${cx}" cy="${Math.round(height * 0.45)}" r="${r}" fill="#ff6a00" stroke="#000" stroke-width="2"/>` +
    `<rect x="${sx}" y="${sy}" width="${sq}" height="${sq}" fill="#1e90ff" stroke="#000" stroke-width="2"/>` +
    `<rect x="0" y="${height - font * 1.6}" width="${width}" height="${font * 1.6}" fill="#000" fill-opacity="0.6"/>` +
    `<text x="${font / 2}" y="${height - font * 0.5}" font-family="sans-serif" font-size="${font}" fill="#fff">${stamp}  #${count}</text></svg>`;
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
