// Words the whole engine shares: what a model does, and how a tensor of it is described. A leaf:
// it imports nothing, so any folder may use it without an import circle.

export type ModelTask = 'classification' | 'detection' | 'raw';

/**
 * Largest labels file read, by path, from a bundle or packed in a .tflite: ImageNet-21k's names
 * take 0.5 MB. A far larger one (140 MB of empty lines) would make a list V8 cannot hold.
 */
export const MAX_LABELS_BYTES = 4 * 2 ** 20;

/** A model input or output as the file declares it. */
export interface TensorInfo {
  name: string;
  /** The element type as onnxruntime-node names it ("float32"), "non-tensor" or "unknown". */
  type: string;
  /** Numbers for fixed axes, names for symbolic ones, -1 for unknown. */
  dims: Array<number | string>;
}
