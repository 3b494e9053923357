// int8 that keeps its answers: the ranges calibration picks from histograms, the agreement of an
// int8 model with its float original, and the shadow check that decides which of the two serves.
export * from './ranges';
export * from './agreement';
export * from './sessions';
export * from './shadow';
export * from './promotion';
