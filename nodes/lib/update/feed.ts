// One update node's bundles into its model's device: a bundle a msg brought, or one look at the
// URL (one at a time, sending the ETag of the last bundle that arrived whole); a refusal or a
// rollback comes back as the error a Catch node gets.
import { EdgeAiError } from '../errors';
import type { UpdateDevice } from './device';
import { EtagFile, fetchBundle } from './poll';
import type { UpdateConfig } from './settings';

/** Errors that end a bundle the device's state already tells of (on the topic and under the node). */
export const isOutcomeError = (err: unknown): boolean => err instanceof EdgeAiError && (err.code === 'bundleRefused' || err.code === 'bundleRolledBack');

export class BundleFeed {
  readonly #device: UpdateDevice;
  readonly #config: UpdateConfig;
  readonly #packageVersion: string;
  readonly #etags: EtagFile;
  readonly #closing = new AbortController();
  #looking = false;

  constructor(device: UpdateDevice, config: UpdateConfig, packageVersion: string) {
    this.#device = device;
    this.#config = config;
    this.#packageVersion = packageVersion;
    this.#etags = new EtagFile(device.store.root);
  }

  /** Keys trusted now; none when the keys file cannot be read (each bundle then says why). */
  keysTrusted(): number {
    try {
      return this.#config.trust().size;
    } catch {
      return 0;
    }
  }

  /** Apply one bundle; rejects with bundleRefused or bundleRolledBack when it does not serve. */
  async receive(source: AsyncIterable<Uint8Array>): Promise<void> {
    const { trust, maxBytes } = this.#config;
    const outcome = await this.#device.receive(source, { trust: trust(), maxBytes, packageVersion: this.#packageVersion });
    if (outcome.result === 'refused') throw new EdgeAiError('bundleRefused', { reason: outcome.reason });
    if (outcome.result === 'rolled back') {
      throw new EdgeAiError('bundleRolledBack', { version: outcome.version ?? '-', reason: outcome.reason, serving: outcome.installed?.version ?? '-' });
    }
  }

  /** One look at the URL, none while one runs: a new bundle is applied, and its ETag kept once it arrived whole. */
  async look(): Promise<void> {
    const url = this.#config.url;
    if (!url || this.#looking) return;
    this.#looking = true;
    try {
      const fetched = await fetchBundle(url, this.#etags.get(url), this.#closing.signal);
      if (fetched.status === 'unchanged') return;
      try {
        await this.receive(fetched.body);
      } finally {
        if (fetched.complete()) this.#etags.set(url, fetched.etag);
      }
    } finally {
      this.#looking = false;
    }
  }

  /** Ends a download in progress (the node closing). */
  close(): void {
    this.#closing.abort();
  }
}
