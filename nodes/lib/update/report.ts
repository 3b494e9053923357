// What a device says about its model, on its retained status topic and in the health endpoint
// (one message per device, so one `mqtt in` on a wildcard shows the whole fleet), and under the
// update node in the editor.
import type { UpdateState } from './store';

export interface FleetStatus {
  device: string;
  model?: string;
  version?: string;
  sha256?: string;
  keyId?: string;
  since?: string;
  previous?: string;
  last?: UpdateState['last'];
}

export function fleetStatus(device: string, state: UpdateState): FleetStatus {
  const { current, previous, last } = state;
  return {
    device,
    ...(current ? { model: current.name, version: current.version, sha256: current.sha256, keyId: current.keyId, since: current.since } : {}),
    ...(previous ? { previous: previous.version } : {}),
    ...(last ? { last } : {}),
  };
}

/**
 * The update node's status line for a state: which look, which text of its catalog, and the
 * text's parameters. `keysTrusted` (it reads the keys file) is asked only while nothing is installed.
 */
export function updateStatusLine(state: UpdateState, keysTrusted: () => number): { kind: 'error' | 'ready' | 'idle'; key: string; params: Record<string, string> } {
  const { current, last } = state;
  const version = current?.version ?? '-';
  if (last?.result === 'refused' || last?.result === 'failed') return { kind: 'error', key: last.result, params: { reason: last.reason, version } };
  if (last?.result === 'rolled back') return { kind: 'error', key: 'rolledBack', params: { version } };
  if (current) return { kind: 'ready', key: 'serving', params: { version, sha: current.sha256.slice(0, 8) } };
  return { kind: 'idle', key: keysTrusted() ? 'waiting' : 'waitingNoKeys', params: {} };
}
