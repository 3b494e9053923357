// What a device says about its model, on its retained status topic and in the health endpoint:
// one message per device, so one `mqtt in` on a wildcard shows the whole fleet.
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
