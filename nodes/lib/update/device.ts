// One model's updates on this device, between the node that receives bundles and the model node
// that serves them: bundles applied one at a time (updater.ts), the model swapped through the
// model's own hot reload, rolled back when the new version fails to load or fails too often in
// its first minutes (rollback.ts), and every change told to whoever reports it.
import * as path from 'node:path';
import { DEFAULT_ROLLBACK_POLICY, RollbackWatch, type RollbackPolicy } from './rollback';
import { UpdateStore, type InstalledModel, type UpdateState } from './store';
import { Updater, type UpdateOutcome, type UpdaterOptions } from './updater';

/** What the device needs of the serving model: load the served file again, rejecting when it cannot. */
export interface ServingModel {
  reload(): Promise<unknown>;
}

/** An update's outcome as the device ends it: applied and serving, refused, already current, or rolled back. */
export type DeviceOutcome = UpdateOutcome | { result: 'rolled back'; reason: string; version?: string; installed?: InstalledModel };

export type ReceiveOptions = Omit<UpdaterOptions, 'store' | 'name' | 'now'>;

/** The folder of a model name's updates under the Node-RED user directory. */
export const updatesFolder = (userDir: string, name: string): string => path.join(userDir, 'edge-ai-updates', name);

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class UpdateDevice {
  readonly name: string;
  readonly store: UpdateStore;
  #watch: RollbackWatch;
  /** The version whose runs the watch counts. */
  #watched: string | undefined;
  readonly #now: () => number;
  readonly #changeListeners = new Set<(state: UpdateState) => void>();
  #serving: ServingModel | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #firstServed: Promise<InstalledModel>;
  #markServed!: (installed: InstalledModel) => void;

  /** `root`: the store's folder; what a cut interrupted there is finished first (store.reconcile). */
  constructor(name: string, root: string, policy: RollbackPolicy = DEFAULT_ROLLBACK_POLICY, now: () => number = Date.now) {
    this.name = name;
    this.#now = now;
    this.store = new UpdateStore(root, now);
    this.#watch = new RollbackWatch(policy, now);
    this.#firstServed = new Promise((resolve) => { this.#markServed = resolve; });
    const current = this.store.reconcile();
    if (current) this.#markServed(current);
  }

  /** Resolves once a version is installed: at once when one is, else when the first bundle is applied. */
  served(): Promise<InstalledModel> {
    return this.#firstServed;
  }

  /** The model serving the store's file; the device reloads it on each switch. Returns the function that detaches it. */
  serve(model: ServingModel): () => void {
    this.#serving = model;
    return () => {
      if (this.#serving === model) this.#serving = undefined;
    };
  }

  /** Hear every change of the state (applied, refused, rolled back); returns the function that stops listening. */
  onChange(listener: (state: UpdateState) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** The rollback policy for the versions applied from now on (the update node's settings). */
  watchWith(policy: RollbackPolicy): void {
    this.#watch = new RollbackWatch(policy, this.#now);
    this.#watched = undefined;
  }

  /** Take a bundle; resolves with what came of it once the model serving is the one the state names. */
  receive(source: AsyncIterable<Uint8Array>, options: ReceiveOptions): Promise<DeviceOutcome> {
    const next = this.#queue.then(async (): Promise<DeviceOutcome> => {
      const outcome = await new Updater({ ...options, store: this.store, name: this.name, now: this.#now }).apply(source);
      if (outcome.result === 'current') return outcome;
      const ended = outcome.result === 'applied' ? await this.#switchTo(outcome.installed) : outcome;
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
    this.#queue = this.#queue.then(() => this.#rollBack(reason)).then(() => this.#changed(), () => this.#changed());
  }

  async #switchTo(installed: InstalledModel): Promise<DeviceOutcome> {
    this.#markServed(installed);
    try {
      await this.#serving?.reload();
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
    await this.#serving?.reload().catch((err) => this.store.record('failed', `${reason}; version ${restored.version} did not load again either: ${messageOf(err)}`, version));
    return { result: 'rolled back', reason, version, installed: restored };
  }

  #changed(): void {
    const state = this.store.state();
    for (const listener of this.#changeListeners) listener(state);
  }
}

/** One device per update folder in this process: the model node and the update node meet here. */
const devices = new Map<string, UpdateDevice>();

export function updateDevice(name: string, root: string): UpdateDevice {
  const key = path.resolve(root);
  let device = devices.get(key);
  if (!device) {
    device = new UpdateDevice(name, key);
    devices.set(key, device);
  }
  return device;
}
