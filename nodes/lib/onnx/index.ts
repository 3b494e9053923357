// The ONNX wire format, and only that: a protobuf reader and writer, the field numbers with the
// one table of element types, ValueInfo, the model summary the doctor reads, and the graph
// editor the tools rewrite models with. It knows nothing of models being run (that is model/).
export * from './protobuf';
export * from './fields';
export * from './value-info';
export * from './metadata';
export * from './graph';
