// The runtime's health for container checks and Kubernetes probes: one board per process, which
// the model and camera nodes report to and the health route reads.
import { HealthBoard } from './board';

export * from './board';

/** The process's board: every model and camera node of this runtime reports here. */
export const health = new HealthBoard();
export * from './probe';
