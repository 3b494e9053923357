// Turning resized RGB pixels into the tensor a model expects, and checking a tensor that came in a msg.
import { EdgeAiError, describeValue } from '../errors';

export type ChannelOrder = 'rgb' | 'bgr';
export type Layout = 'nchw' | 'nhwc';
export type TensorType = 'float32' | 'uint8';
export type NormalizePreset = 'unit' | 'signed' | 'imagenet' | 'raw' | 'custom';

export type Triple = [number, number, number];

/** Presets as (pixel - mean) / std in 0..255 pixel units. */
export const NORMALIZE_PRESETS: Record<Exclude<NormalizePreset, 'custom'>, { mean: Triple; std: Triple }> = {
  unit: { mean: [0, 0, 0], std: [255, 255, 255] },
  signed: { mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] },
  imagenet: { mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] },
  raw: { mean: [0, 0, 0], std: [1, 1, 1] },
};

/** The step from interleaved RGB uint8 pixels to the model's tensor. */
export interface ConvertSpec {
  type: TensorType;
  layout: 'NCHW' | 'NHWC';
  order: 'RGB' | 'BGR';
  mean: Triple;
  std: Triple;
  dims: number[];
  /**
   * Letterbox: the pixels are a smaller image placed at (x, y) of the tensor, the rest is
   * `padValue`. Padding while converting costs nothing; padding in sharp cost a pass of its own.
   */
  placement?: Placement;
}

export interface Placement {
  x: number;
  y: number;
  width: number;
  height: number;
  padValue: number;
}

/** What travels in msg.payload: `data` holds the bytes of `type` in `dims`/`layout`. */
export interface TensorPayload {
  data: Buffer;
  dims: number[];
  type: TensorType;
  layout: 'NCHW' | 'NHWC';
  /** Present when the conversion is still to be done (by the infer node, into a reused buffer). */
  convert?: ConvertSpec;
}

export const TYPE_BYTES: Record<TensorType, number> = { float32: 4, uint8: 1 };

/**
 * msg.payload checked as a tensor before it is queued, field by field, so that the error names
 * the field that is wrong: data a Buffer (not a typed array), dims whole numbers, a known type,
 * and a conversion still to do that can be done (means and non-zero standard deviations).
 */
export function checkTensorPayload(value: unknown): TensorPayload {
  if (!value || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
    throw new EdgeAiError('notTensor', { received: describeValue(value) });
  }
  const t = value as Record<string, unknown>;
  const bad = (field: string, expected: string, received: unknown): never => {
    throw new EdgeAiError('tensorField', { field, expected, received: describeValue(received) });
  };
  if (!Buffer.isBuffer(t.data)) {
    bad('data', ArrayBuffer.isView(t.data) ? 'a Buffer over the values (Buffer.from(array.buffer), not the typed array itself)' : 'a Buffer', t.data);
  }
  const wholeList = (v: unknown): boolean => Array.isArray(v) && v.length > 0 && v.every((d) => Number.isInteger(d) && d > 0);
  if (!wholeList(t.dims)) bad('dims', 'a list of whole numbers above 0', t.dims);
  if (typeof t.type !== 'string' || !(t.type in TYPE_BYTES)) bad('type', `one of ${Object.keys(TYPE_BYTES).join(', ')}`, t.type);
  if (t.convert !== undefined) {
    const c = t.convert as Record<string, unknown>;
    if (!c || typeof c !== 'object') bad('convert', 'an object (as edge-ai-preprocess makes it)', c);
    const triple = (v: unknown, nonZero: boolean): boolean => Array.isArray(v) && v.length === 3 && v.every((n) => Number.isFinite(n) && (!nonZero || n !== 0));
    if (typeof c.type !== 'string' || !(c.type in TYPE_BYTES)) bad('convert.type', `one of ${Object.keys(TYPE_BYTES).join(', ')}`, c.type);
    if (c.layout !== 'NCHW' && c.layout !== 'NHWC') bad('convert.layout', '"NCHW" or "NHWC"', c.layout);
    if (c.order !== 'RGB' && c.order !== 'BGR') bad('convert.order', '"RGB" or "BGR"', c.order);
    if (!triple(c.mean, false)) bad('convert.mean', 'three numbers', c.mean);
    if (!triple(c.std, true)) bad('convert.std', 'three numbers other than 0', c.std);
    if (!wholeList(c.dims)) bad('convert.dims', 'a list of whole numbers above 0', c.dims);
  }
  return value as TensorPayload;
}

export function tensorDims(layout: Layout, width: number, height: number): number[] {
  return layout === 'nchw' ? [1, 3, height, width] : [1, height, width, 3];
}

/** True when the pixels already are the tensor (uint8 RGB NHWC, no normalisation). */
export function isIdentityConvert(c: ConvertSpec): boolean {
  return c.type === 'uint8' && c.layout === 'NHWC' && c.order === 'RGB';
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** The last tables made: every frame of a stream has the same conversion. */
let lastTables: { key: string; tables: Float32Array[] } | undefined;

/** Per channel, the tensor value of each pixel value 0..255. */
function channelTables(c: ConvertSpec): Float32Array[] {
  const uint8 = c.type === 'uint8';
  const key = uint8 ? 'uint8' : `${c.mean.join()}/${c.std.join()}`;
  if (lastTables?.key !== key) {
    const tables = [0, 1, 2].map((channel) => {
      const table = new Float32Array(256);
      for (let v = 0; v < 256; v++) table[v] = uint8 ? v : (v - c.mean[channel]) / c.std[channel];
      return table;
    });
    lastTables = { key, tables };
  }
  return lastTables.tables;
}

/**
 * Convert interleaved RGB pixels (width*height*3) into `out` (allocated if absent).
 * This is the one per-pixel loop of the pipeline; callers reuse `out` between frames. One pass
 * over the pixels with a 256-entry table per channel (a third faster than arithmetic per value).
 */
export function convertPixels(pixels: Uint8Array, c: ConvertSpec, out?: Float32Array | Uint8Array): Float32Array | Uint8Array {
  const { width, height } = canvasSize(c);
  const area = width * height;
  const target = out ?? (c.type === 'float32' ? new Float32Array(area * 3) : new Uint8Array(area * 3));
  const tables = channelTables(c);
  const [l0, l1, l2] = tables;
  const place = c.placement ?? { x: 0, y: 0, width, height, padValue: 0 };
  if (c.placement) pad(target, c.layout, width, height, place, tables);
  // Where each model channel is read from within a pixel.
  const [s0, s1, s2] = c.order === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  for (let row = 0, p = 0; row < place.height; row++) {
    const first = (place.y + row) * width + place.x;
    const end = first + place.width;
    if (c.layout === 'NCHW') {
      for (let i = first; i < end; i++, p += 3) {
        target[i] = l0[pixels[p + s0]];
        target[area + i] = l1[pixels[p + s1]];
        target[2 * area + i] = l2[pixels[p + s2]];
      }
    } else {
      for (let t = first * 3; t < end * 3; t += 3, p += 3) {
        target[t] = l0[pixels[p + s0]];
        target[t + 1] = l1[pixels[p + s1]];
        target[t + 2] = l2[pixels[p + s2]];
      }
    }
  }
  return target;
}

/** The tensor's width and height from its dims. */
export function canvasSize(c: Pick<ConvertSpec, 'layout' | 'dims'>): { width: number; height: number } {
  return c.layout === 'NCHW' ? { width: c.dims[3], height: c.dims[2] } : { width: c.dims[2], height: c.dims[1] };
}

/** The pad value around the placed image: whole rows above and below, then both sides of each row. */
function pad(target: Float32Array | Uint8Array, layout: ConvertSpec['layout'], width: number, height: number, place: Placement, tables: Float32Array[]): void {
  const area = width * height;
  const spans: Array<[number, number]> = [[0, place.y * width], [(place.y + place.height) * width, area]];
  for (let row = place.y; row < place.y + place.height; row++) {
    spans.push([row * width, row * width + place.x], [row * width + place.x + place.width, (row + 1) * width]);
  }
  const values = tables.map((table) => table[place.padValue]);
  for (const [start, end] of spans) {
    if (end <= start) continue;
    if (layout === 'NCHW') {
      for (let channel = 0; channel < 3; channel++) target.fill(values[channel], channel * area + start, channel * area + end);
    } else {
      for (let t = start * 3; t < end * 3; t += 3) {
        target[t] = values[0];
        target[t + 1] = values[1];
        target[t + 2] = values[2];
      }
    }
  }
}
