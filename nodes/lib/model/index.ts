// What Node-RED loads to run a model: the node's settings, labels, the model doctor, the
// inference worker and its host, the registry of shared models, the checker process and the
// queue in front of it. The worker and checker entry files are started, not imported.
export * from './config';
export * from './describe';
export * from './doctor';
export * from './labels';
export * from './protocol';
export * from './host';
export * from './registry';
export * from './checker';
export * from './queue';
export * from './infer-request';
export * from './session-worker';
export * from './unsigned-activations';
export { isTflite, cacheDirectory, importerFingerprint } from './imported';
