// Models shared by every node that uses them: one host per configuration, held by leases, and
// released when the last lease goes (releasing a lease twice does no harm).
import { ModelHost, type ModelConfig } from './host';

/** A user's hold on a shared model; release it when done (a second release does nothing). */
export interface ModelLease {
  readonly ready: Promise<ModelHost>;
  release(): Promise<void>;
}

interface Entry {
  ready: Promise<ModelHost>;
  users: number;
}

/**
 * Models shared by configuration: every node asking for the same settings gets the same
 * worker, and the last release stops it (like Node-RED's MQTT broker connections).
 */
export class ModelRegistry {
  readonly #entries = new Map<string, Entry>();

  acquire(config: ModelConfig): ModelLease {
    const key = JSON.stringify(config);
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { ready: ModelHost.create(config), users: 0 };
      // Its users see the failure through `ready`; once they all release it, the next acquire
      // (after a redeploy, say) loads afresh.
      entry.ready.catch(() => undefined);
      this.#entries.set(key, entry);
    }
    entry.users++;
    const held = entry;
    let released = false;
    return {
      ready: held.ready,
      release: async () => {
        if (released) return;
        released = true;
        held.users--;
        if (held.users > 0) return;
        if (this.#entries.get(key) === held) this.#entries.delete(key);
        const host = await held.ready.catch(() => undefined);
        await host?.release();
      },
    };
  }

  /** Like acquire, for a configuration still being worked out (a catalogue model being fetched). */
  acquireLater(config: Promise<ModelConfig>): ModelLease {
    let lease: ModelLease | undefined;
    let released = false;
    const ready = config.then((resolved) => {
      if (released) throw new Error('released before the model was ready');
      lease = this.acquire(resolved);
      return lease.ready;
    });
    ready.catch(() => undefined);
    return {
      ready,
      release: async () => {
        if (released) return;
        released = true;
        // Not resolved yet (a catalogue download, a model waiting for its first update): no lease
        // was taken, and none will be (the then above refuses); do not wait for it.
        await lease?.release();
      },
    };
  }

  /** Number of models currently loaded or loading (for tests and diagnostics). */
  get size(): number {
    return this.#entries.size;
  }
}

/** The process-wide registry the Node-RED nodes share. */
export const models = new ModelRegistry();
