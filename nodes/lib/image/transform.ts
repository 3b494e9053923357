// Geometry of fitting a source image into a model input, and mapping boxes back.

export type ResizeMode = 'stretch' | 'letterbox' | 'crop';
export type LetterboxAlign = 'center' | 'topleft';

export interface ResizeOptions {
  width: number;
  height: number;
  mode: ResizeMode;
  /** Letterbox only: where the resized image sits (YOLOX pads at the bottom/right). */
  align: LetterboxAlign;
}

/**
 * How source pixels land in the model input: model = source * scale + pad, per axis.
 * Crop has negative pads (the part cut away).
 */
export interface Transform {
  srcWidth: number;
  srcHeight: number;
  width: number;
  height: number;
  mode: ResizeMode;
  /** Uniform scale for letterbox and crop; for stretch the x scale (see scaleX/scaleY). */
  scale: number;
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
}

export interface ResizePlan {
  transform: Transform;
  /** Size the source is resized to before padding or cropping. */
  resizeWidth: number;
  resizeHeight: number;
}

export function planResize(srcWidth: number, srcHeight: number, options: ResizeOptions): ResizePlan {
  const { width, height, mode } = options;
  if (mode === 'stretch') {
    const scaleX = width / srcWidth;
    const scaleY = height / srcHeight;
    return {
      transform: { srcWidth, srcHeight, width, height, mode, scale: scaleX, scaleX, scaleY, padX: 0, padY: 0 },
      resizeWidth: width,
      resizeHeight: height,
    };
  }
  const fit = mode === 'letterbox' ? Math.min : Math.max;
  const scale = fit(width / srcWidth, height / srcHeight);
  // Clamp so rounding never overshoots the target on the fitted side.
  const resizeWidth = Math.max(1, Math.round(srcWidth * scale));
  const resizeHeight = Math.max(1, Math.round(srcHeight * scale));
  const centred = mode === 'crop' || options.align === 'center';
  const padX = centred ? Math.floor((width - resizeWidth) / 2) : 0;
  const padY = centred ? Math.floor((height - resizeHeight) / 2) : 0;
  // Rounding the resized size makes the effective scale differ slightly per axis.
  const scaleX = resizeWidth / srcWidth;
  const scaleY = resizeHeight / srcHeight;
  return {
    transform: { srcWidth, srcHeight, width, height, mode, scale, scaleX, scaleY, padX, padY },
    resizeWidth,
    resizeHeight,
  };
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The box between two corners (x1, y1) and (x2, y2). */
export function boxFromCorners(x1: number, y1: number, x2: number, y2: number): Box {
  return { x: x1, y: y1, w: x2 - x1, h: y2 - y1 };
}

/** Map a box from model-input pixels to source pixels, clipped to the source image. */
export function boxToSource(box: Box, t: Transform): Box {
  const x1 = clamp((box.x - t.padX) / t.scaleX, 0, t.srcWidth);
  const y1 = clamp((box.y - t.padY) / t.scaleY, 0, t.srcHeight);
  const x2 = clamp((box.x + box.w - t.padX) / t.scaleX, 0, t.srcWidth);
  const y2 = clamp((box.y + box.h - t.padY) / t.scaleY, 0, t.srcHeight);
  return { x: x1, y: y1, w: x2 - x1, h: y2 - y1 };
}

/** A point in model-input pixels mapped to source pixels, kept inside the source. */
export function pointToSource(x: number, y: number, t: Transform): { x: number; y: number } {
  return { x: clamp((x - t.padX) / t.scaleX, 0, t.srcWidth), y: clamp((y - t.padY) / t.scaleY, 0, t.srcHeight) };
}

/** Inverse of boxToSource for points (used by tests and by zone drawing). */
export function pointToModel(x: number, y: number, t: Transform): [number, number] {
  return [x * t.scaleX + t.padX, y * t.scaleY + t.padY];
}

function clamp(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value;
}
