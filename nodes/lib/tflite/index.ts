// TensorFlow Lite models in the ONNX pipeline: the FlatBuffer reader and the importer that turns
// a .tflite file into an ONNX model onnxruntime runs.
export { importTflite, readTfliteModel, operatorCounts, TfliteImportError, type TfliteImport } from './convert';
export type { TfliteModel, TfliteTensor, TfliteOperator } from './schema';
export type { TfliteMetadata } from './metadata';
export type { ImportOptions } from './importer';
