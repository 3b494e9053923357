// Tools that rewrite models, run from the edge-ai-model command line: the int8 quantizer and
// the input-size change. The runtime never imports them.
export * from './quantize';
export * from './input-size';
export * from './cli';
export * from './int8-search';
export * from './int8-run';
export * from './bias-correction';
