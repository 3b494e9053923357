// Calibration frames collected from a running flow: a sampler spreading N frames over time, a
// folder written atomically, and the collector that runs both for the edge-ai-collect node.
export * from './sampler';
export * from './frame-image';
export * from './folder';
export * from './collector';
export * from './progress';
