// Model updates for a fleet: signed bundles (keys, the signed envelope, the payload and its
// manifest), checked on the device before anything in them is used.
export * from './keys';
export * from './envelope';
export * from './manifest';
export * from './payload';
export * from './golden';
export * from './make';
export * from './store';
export * from './updater';
export * from './rollback';
export * from './report';
export * from './device';
export * from './settings';
export * from './poll';
export * from './feed';
