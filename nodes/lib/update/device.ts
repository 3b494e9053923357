// One model's updates on this device, between the node that receives bundles and the model node
// that serves them: bundles applied one at a time (updater.ts), the model swapped through the
// model's own hot reload, rolled back when the new version fails to load or fails too often in
// its first minutes (rollback.ts), and every change told to whoever reports it.
import * as os from 'node:os';
import * as path from 'node:path';
import { messageOf } from '../errors';
import { servedModelConfig, type ModelConfig, type ModelHost, type ModelNodeSettings } from '../model';
import { checkModelName } from './manifest';
import { DEFAULT_ROLLBACK_POLICY, RollbackWatch, type RollbackPolicy } from './rollback';
import { fleetStatus, type FleetStatus } from './report';
import { UpdateStore, type InstalledModel, type UpdateState } from './store';
import { Updater, type UpdateOutcome, type UpdaterOptions } from './updater';

/**
 * What the device needs of a model serving the store's file: load it again (now holding the
 * model with SHA-256 `sha256`), rejecting when it cannot; one that already serves it may skip.
 */
export interface ServingModel {
  reload(sha256: string): Promise<unknown>;
}

/** An update's outcome as the device ends it: applied and serving, refused, already current, or rolled back. */
export type DeviceOutcome = UpdateOutcome | { result: 'rolled back'; reason: string; version?: string; installed?: InstalledModel };

export type ReceiveOptions = Omit<UpdaterOptions, 'store' | 'name' | 'now'>;

/** The folder of a model name's updates under the Node-RED user directory. */
export const updatesFolder = (userDir: string, name: string): string => path.join(userDir, 'edge-ai-updates', name);

export class UpdateDevice {
  readonly name: string;
  readonly store: UpdateStore;
  #watch: RollbackWatch;
  #policy: RollbackPolicy;
  /** The version whose runs the watch counts. */
  #watched: string | undefined;
  readonly #now: () => number;
  readonly #changeListeners = new Set<(state: UpdateState) => void>();
  /** Every model node serving this name (each with its own settings). */
  readonly #serving = new Set<ServingModel>();
  /** The device's name on the status topic and the health board (the update node's setting). */
  deviceName: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #firstServed: Promise<InstalledModel>;
  #markServed!: (installed: InstalledModel) => void;

  /** `root`: the store's folder; what a cut interrupted there is finished first (store.reconcile). */
  constructor(name: string, root: string, policy: RollbackPolicy = DEFAULT_ROLLBACK_POLICY, now: () => number = Date.now) {
    this.name = name;
    this.#now = now;
    this.store = new UpdateStore(root, now);
    this.#policy = policy;
    this.#watch = new RollbackWatch(policy, now);
    this.#firstServed = new Promise((resolve) => { this.#markServed = resolve; });
    const current = this.store.reconcile();
    if (current) this.#markServed(current);
  }

  /** Resolves once a version is installed: at once when one is, else when the first bundle is applied. */
  served(): Promise<InstalledModel> {
    return this.#firstServed;
  }

  /** The model node's configuration: the store's served file (with the bundle's labels), once a version is installed. */
  async servedConfig(settings: ModelNodeSettings, baseDir: string): Promise<ModelConfig> {
    await this.served();
    const { current } = this.store.state();
    return servedModelConfig(settings, { model: this.store.servedFile(), labels: current?.labels ? this.store.servedLabels() : undefined }, baseDir);
  }

  /** The model serving the store's file; the device reloads it on each switch. Returns the function that detaches it. */
  serve(model: ServingModel): () => void {
    this.#serving.add(model);
    return () => this.#serving.delete(model);
  }

  /**
   * A model node's own lease on the served file: reloaded on each switch (unless it already
   * serves that version), its runs counted by the rollback watch. A model that failed to load
   * has nothing to reload: `notLoaded` is told, and the new version loads at the next deploy.
   * Returns the function that detaches it.
   */
  attach(ready: Promise<ModelHost>, notLoaded: () => void): () => void {
    let detached = false;
    let stopCounting: (() => unknown) | undefined;
    ready.then((host) => { if (!detached) stopCounting = host.onRun((ok, sha256) => this.ran(ok, sha256)); }, () => undefined);
    const stopServing = this.serve({
      reload: async (sha256) => {
        const host = await ready.catch(() => undefined);
        if (detached || host?.info.sha256 === sha256) return;
        if (!host) notLoaded();
        else await host.reload();
      },
    });
    return () => {
      detached = true;
      stopServing();
      stopCounting?.();
    };
  }

  /** What the status topic and the health board say of this device's model now. */
  status(state: UpdateState = this.store.state()): FleetStatus {
    return fleetStatus(this.deviceName ?? os.hostname(), state);
  }

  /** Hear every outcome (applied, refused, rolled back, the same bundle again); returns the function that stops listening. */
  onChange(listener: (state: UpdateState) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /**
   * The rollback policy for the versions applied from now on (the update node's settings). The
   * same policy again (a redeploy) keeps the watch on a version in its window.
   */
  watchWith(policy: RollbackPolicy): void {
    if (JSON.stringify(policy) === JSON.stringify(this.#policy)) return;
    this.#policy = policy;
    this.#watch = new RollbackWatch(policy, this.#now);
    this.#watched = undefined;
  }

  /** Take a bundle; resolves with what came of it once the model serving is the one the state names. */
  receive(source: AsyncIterable<Uint8Array>, options: ReceiveOptions): Promise<DeviceOutcome> {
    const next = this.#queue.then(async (): Promise<DeviceOutcome> => {
      const outcome = await new Updater({ ...options, store: this.store, name: this.name, now: this.#now }).apply(source);
      const ended = outcome.result === 'applied' ? await this.#switchTo(outcome.installed) : outcome;
      // Told even when nothing changed (a retained bundle after a reconnect): the status goes out again.
      this.#changed();
      return ended;
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /**
   * One run of the serving model ended. While a new version is watched, its failures count, and
   * crossing the policy's rate brings the previous version back.
   */
  ran(ok: boolean, sha256: string): void {
    if (sha256 !== this.#watched) return;
    const reason = this.#watch.record(ok);
    if (!this.#watch.watching) this.#watched = undefined;
    if (!reason) return;
    // Queued behind a bundle being applied: roll back only if the failing version still serves.
    this.#queue = this.#queue
      .then(() => (this.store.state().current?.sha256 === sha256 ? this.#rollBack(reason).then(() => this.#changed()) : undefined))
      .catch(() => this.#changed());
  }

  async #switchTo(installed: InstalledModel): Promise<DeviceOutcome> {
    this.#markServed(installed);
    try {
      await this.#reloadAll(installed.sha256);
      this.#watch.start();
      this.#watched = installed.sha256;
      return { result: 'applied', installed };
    } catch (err) {
      return this.#rollBack(`version ${installed.version} did not load: ${messageOf(err)}`);
    }
  }

  async #rollBack(reason: string): Promise<DeviceOutcome> {
    this.#watched = undefined;
    const version = this.store.state().current?.version;
    const restored = this.store.rollback(reason);
    if (!restored) {
      this.store.record('failed', `${reason}; no earlier version to go back to`, version);
      return { result: 'rolled back', reason: `${reason}; no earlier version to go back to`, version };
    }
    await this.#reloadAll(restored.sha256).catch((err) => this.store.record('failed', `${reason}; version ${restored.version} did not load again either: ${messageOf(err)}`, version));
    return { result: 'rolled back', reason, version, installed: restored };
  }

  async #reloadAll(sha256: string): Promise<void> {
    await Promise.all([...this.#serving].map((model) => model.reload(sha256)));
  }

  #changed(): void {
    const state = this.store.state();
    for (const listener of this.#changeListeners) listener(state);
  }
}

/** One device per update folder in this process: the model node and the update node meet here. */
const devices = new Map<string, UpdateDevice>();

/** The update device of a model node whose source is "update" (under `userDir`), else undefined; a bad name throws. */
export function updateDeviceFor(settings: ModelNodeSettings, userDir: string): UpdateDevice | undefined {
  if (settings.source !== 'update') return undefined;
  const name = checkModelName(settings.update);
  return updateDevice(name, updatesFolder(userDir, name));
}

export function updateDevice(name: string, root: string): UpdateDevice {
  const key = path.resolve(root);
  let device = devices.get(key);
  if (!device) {
    device = new UpdateDevice(name, key);
    devices.set(key, device);
  }
  return device;
}
