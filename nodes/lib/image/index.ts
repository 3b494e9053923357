// Images made into model input: decoding with limits, resizing, letterboxing, colour order and
// the pixels-to-tensor conversion, and the box mapping back to the source image.
export * from './bmp';
export * from './decode';
export * from './jpeg-size';
export * from './limits';
export * from './preprocess';
export * from './preview';
export * from './tensor';
export * from './transform';
