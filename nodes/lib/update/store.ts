// A device's installed bundles for one model name, on disk so that a power cut at any moment
// leaves the old model or the new one, never a mix: each version unpacked in its own folder
// (flushed, then renamed into versions/), one state file naming the current and previous
// version (written to a temporary file, flushed, renamed: the moment of the switch), and the
// file the model node serves copied from the current version the same way. After a restart,
// `reconcile` finishes whatever a cut interrupted: the state file decides.
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { compareVersions, type Manifest } from './manifest';

export interface InstalledModel {
  name: string;
  version: string;
  /** SHA-256 of the model file. */
  sha256: string;
  format: 'onnx' | 'tflite';
  /** The version's folder under versions/. */
  folder: string;
  model: string;
  labels?: string;
  keyId: string;
  /** SHA-256 of the bundle's payload: the same bundle delivered again is known by it. */
  bundle: string;
  /** When its manifest was made (a downgrade must be made later). */
  created?: string;
  since: string;
}

export type UpdateResult = 'applied' | 'refused' | 'rolled back' | 'failed';

export interface UpdateState {
  current?: InstalledModel;
  previous?: InstalledModel;
  /** The newest version applied here: the anti-rollback counter. */
  applied?: string;
  last?: { result: UpdateResult; version?: string; reason: string; at: string };
}

/** Flush a folder's entries (a rename inside it is durable only then). */
function syncFolder(folder: string): void {
  const fd = openSync(folder, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replace `file` whole: a temporary file beside it, flushed, renamed over it, the folder flushed. */
/** Copies that did not make it, removed; whatever stands in their place and is no file of ours stays. */
function removeQuietly(staged: Array<[string, string]>): void {
  for (const [partial] of staged) {
    try {
      rmSync(partial, { force: true });
    } catch {
      // Not a file (a folder where the copy was to go): not ours to remove.
    }
  }
}

export function replaceFile(file: string, write: (fd: number) => void): void {
  const partial = `${file}.partial`;
  const fd = openSync(partial, 'w', 0o644);
  try {
    write(fd);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, file);
  syncFolder(path.dirname(file));
}

export const fileSha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

export class UpdateStore {
  readonly root: string;
  readonly #now: () => number;

  constructor(root: string, now: () => number = Date.now) {
    this.root = root;
    this.#now = now;
    for (const dir of [root, this.#versions, this.staging]) mkdirSync(dir, { recursive: true });
  }

  get #versions(): string {
    return path.join(this.root, 'versions');
  }

  /** Where bundles are received and unpacked: on the same filesystem, so that installing is a rename. */
  get staging(): string {
    return path.join(this.root, 'staging');
  }

  get #stateFile(): string {
    return path.join(this.root, 'state.json');
  }

  /** The file the model node serves: one name for ONNX and TFLite (the loader knows them by their bytes). */
  servedFile(): string {
    return path.join(this.root, 'current.model');
  }

  servedLabels(): string {
    return path.join(this.root, 'current.labels.txt');
  }

  state(): UpdateState {
    if (!existsSync(this.#stateFile)) return {};
    return JSON.parse(readFileSync(this.#stateFile, 'utf8')) as UpdateState;
  }

  #write(state: UpdateState): void {
    replaceFile(this.#stateFile, (fd) => writeSync(fd, `${JSON.stringify(state, null, 2)}\n`));
  }

  /**
   * Make `unpacked` (a folder in staging holding the manifest's files, checked) the current
   * version; the one before becomes the previous, kept for a rollback. A downgrade the manifest
   * allows moves the anti-rollback counter down with it.
   */
  install(unpacked: string, manifest: Manifest, keyId: string, bundle: string): InstalledModel {
    const folder = `${manifest.version}-${manifest.model.sha256.slice(0, 12)}`;
    const target = path.join(this.#versions, folder);
    rmSync(target, { recursive: true, force: true });
    syncFolder(unpacked);
    renameSync(unpacked, target);
    syncFolder(this.#versions);
    const installed: InstalledModel = {
      name: manifest.name, version: manifest.version, sha256: manifest.model.sha256, format: manifest.model.format, folder,
      model: manifest.model.file, ...(manifest.labels ? { labels: manifest.labels.file } : {}), keyId, bundle, created: manifest.created, since: new Date(this.#now()).toISOString(),
    };
    const state = this.state();
    const applied = state.applied && compareVersions(state.applied, manifest.version) > 0 && !manifest.allowDowngrade ? state.applied : manifest.version;
    this.#switchTo(installed, { ...state, current: installed, previous: state.current, applied, last: { result: 'applied', version: manifest.version, reason: `signed by key ${keyId}`, at: installed.since } });
    this.#prune();
    return installed;
  }

  /** Serve the previous version again (the new one failed); the anti-rollback counter stays. */
  rollback(reason: string): InstalledModel | undefined {
    const state = this.state();
    if (!state.previous) return undefined;
    const at = new Date(this.#now()).toISOString();
    const restored = { ...state.previous, since: at };
    this.#switchTo(restored, { ...state, current: restored, previous: undefined, last: { result: 'rolled back', version: state.current?.version, reason, at } });
    this.#prune();
    return restored;
  }

  /** Record a refused or failed update; what serves does not change. */
  record(result: UpdateResult, reason: string, version?: string): void {
    this.#write({ ...this.state(), last: { result, version, reason, at: new Date(this.#now()).toISOString() } });
  }

  /**
   * After a restart: the served file made the current version's again if a cut came between the
   * switch and the copy, half-received bundles removed, versions other than current and
   * previous removed. Returns the current version.
   */
  reconcile(): InstalledModel | undefined {
    const { current } = this.state();
    for (const partial of readdirSync(this.root).filter((f) => f.endsWith('.partial'))) rmSync(path.join(this.root, partial), { force: true });
    rmSync(this.staging, { recursive: true, force: true });
    mkdirSync(this.staging, { recursive: true });
    if (current) {
      const served = this.servedFile();
      if (!existsSync(served) || fileSha256(served) !== current.sha256) this.#switchTo(current);
    }
    this.#prune();
    return current;
  }

  /**
   * Serve `installed` and record `state` naming it, so that the two agree after any failure: the
   * files are copied beside the served ones first (a full disk fails here, and nothing changed),
   * then the state is written, then the copies are renamed into place (which needs no space). A
   * cut between the last two steps is finished by reconcile(), which passes no state: the state
   * names the version already.
   */
  #switchTo(installed: InstalledModel, state?: UpdateState): void {
    const staged = this.#stage(installed);
    if (state) {
      try {
        this.#write(state);
      } catch (err) {
        removeQuietly(staged);
        throw err;
      }
    }
    for (const [partial, served] of staged) renameSync(partial, served);
    if (!installed.labels) rmSync(this.servedLabels(), { force: true });
    syncFolder(this.root);
  }

  /** The version's files copied and flushed beside the served ones: [partial, served] pairs. */
  #stage(installed: InstalledModel): Array<[string, string]> {
    const folder = path.join(this.#versions, installed.folder);
    const files: Array<[string, string]> = [[path.join(folder, installed.model), this.servedFile()]];
    if (installed.labels) files.push([path.join(folder, installed.labels), this.servedLabels()]);
    const staged: Array<[string, string]> = [];
    try {
      for (const [from, served] of files) {
        const partial = `${served}.partial`;
        staged.push([partial, served]);
        copyFileSync(from, partial);
        const fd = openSync(partial, 'r+');
        try {
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
    } catch (err) {
      removeQuietly(staged);
      throw err;
    }
    return staged;
  }

  #prune(): void {
    const { current, previous } = this.state();
    const keep = new Set([current?.folder, previous?.folder]);
    for (const folder of readdirSync(this.#versions)) if (!keep.has(folder)) rmSync(path.join(this.#versions, folder), { recursive: true, force: true });
  }
}
