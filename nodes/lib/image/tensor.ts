// Turning resized RGB pixels into the tensor a model expects.

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
}

/** What travels in msg.payload: `data` holds the bytes of `type` in `dims`/`layout`. */
export interface TensorPayload {
  data: Buffer;
  dims: number[];
  type: TensorType;
  layout: 'NCHW' | 'NHWC';
  /** Present when the conversion is still to be done (by the infer node's worker). */
  convert?: ConvertSpec;
}

export const TYPE_BYTES: Record<TensorType, number> = { float32: 4, uint8: 1 };

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

/**
 * Convert interleaved RGB pixels (width*height*3) into `out` (allocated if absent).
 * This is the one per-pixel loop of the pipeline; callers reuse `out` between frames.
 */
export function convertPixels(pixels: Uint8Array, c: ConvertSpec, out?: Float32Array | Uint8Array): Float32Array | Uint8Array {
  const area = pixels.length / 3;
  const target = out ?? (c.type === 'float32' ? new Float32Array(area * 3) : new Uint8Array(area * 3));
  const swap = c.order === 'BGR';
  const planar = c.layout === 'NCHW';
  const uint8 = c.type === 'uint8';
  for (let channel = 0; channel < 3; channel++) {
    const source = swap ? 2 - channel : channel;
    const scale = uint8 ? 1 : 1 / c.std[channel];
    const offset = uint8 ? 0 : c.mean[channel] / c.std[channel];
    let write = planar ? channel * area : channel;
    const step = planar ? 1 : 3;
    for (let read = source; read < pixels.length; read += 3, write += step) {
      target[write] = pixels[read] * scale - offset;
    }
  }
  return target;
}
