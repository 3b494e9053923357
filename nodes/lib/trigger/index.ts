// Results made into events: rules, zones and lines, N-of-M debouncing and a ByteTrack-style tracker.
export * from './engine';
export * from './rule';
export * from './geometry';
export * from './tracker';
export * from './track-events';
export * from './runner';
