// A device taking one model's bundles: received and verified (envelope.ts), opened
// (payload.ts), checked as applicable (newer, unexpired), tried in a canary (loaded in the
// checker process, its signature compared, its golden frames run), then installed (store.ts).
// One update at a time, in arrival order; the same bundle again (a retained message on
// reconnect) changes nothing. What happened is recorded in the store for the status topic.
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { EdgeAiError } from '../errors';
import { describeTensors, isTflite, modelChecker } from '../model';
import { readOnnxModelInfo } from '../onnx';
import { importTflite } from '../tflite';
import { receiveBundle } from './envelope';
import { answersOn, goldenMismatch } from './golden';
import { checkApplicable, type Manifest } from './manifest';
import { openPayload } from './payload';
import type { TrustedKeys } from './keys';
import type { InstalledModel, UpdateStore } from './store';

export interface UpdaterOptions {
  store: UpdateStore;
  /** The model this device takes bundles for: a bundle for another name is refused. */
  name?: string;
  trust: TrustedKeys;
  /** Largest bundle accepted, in bytes. */
  maxBytes: number;
  /** This package's version, for the manifests' minPackageVersion. */
  packageVersion: string;
  now?: () => number;
  /** The canary (default `canaryCheck`): rejects with the reason a model must not serve. */
  canary?: (modelFile: string, manifest: Manifest, folder: string) => Promise<void>;
}

export type UpdateOutcome =
  | { result: 'applied'; installed: InstalledModel }
  | { result: 'current'; installed: InstalledModel }
  | { result: 'refused'; reason: string; version?: string };

/**
 * Whether the model in `modelFile` may serve: it opens and runs in the checker process (a file
 * that crashes onnxruntime is refused there), its inputs and outputs are the manifest's, and it
 * gives the golden frames' answers.
 */
export async function canaryCheck(modelFile: string, manifest: Manifest, folder: string): Promise<void> {
  await modelChecker.check({ path: modelFile, task: 'auto', yoloLayout: 'auto', labels: { kind: 'none' }, threads: 1, spinning: false, unsignedInt8: false, checkFirst: true, watch: false });
  const bytes = readFileSync(modelFile);
  const onnx = isTflite(bytes) ? (await importTflite(bytes)).onnx : bytes;
  const info = readOnnxModelInfo(onnx);
  for (const side of ['inputs', 'outputs'] as const) {
    const [found, said] = [describeTensors(info[side]), describeTensors(manifest.signature[side])];
    if (found !== said) throw new EdgeAiError('bundleRefused', { reason: `its model's ${side} are ${found}, not the manifest's ${said}` });
  }
  const answers = await answersOn(onnx, manifest.golden.map((g) => path.join(folder, g.file)));
  manifest.golden.forEach((golden, k) => {
    const why = goldenMismatch(golden.answer, answers[k]);
    if (why) throw new EdgeAiError('bundleRefused', { reason: `its model answers golden frame ${golden.file} with ${why}` });
  });
}

export class Updater {
  readonly #options: Required<Pick<UpdaterOptions, 'now' | 'canary'>> & UpdaterOptions;
  #queue: Promise<unknown> = Promise.resolve();
  #serial = 0;

  constructor(options: UpdaterOptions) {
    this.#options = { now: Date.now, canary: canaryCheck, ...options };
  }

  /** Take a bundle (its bytes as they arrive); resolves with what came of it, never rejects for a bad bundle. */
  apply(source: AsyncIterable<Uint8Array>): Promise<UpdateOutcome> {
    const next = this.#queue.then(() => this.#applyOne(source));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #applyOne(source: AsyncIterable<Uint8Array>): Promise<UpdateOutcome> {
    const { store, trust, maxBytes, packageVersion, now, canary } = this.#options;
    const serial = ++this.#serial;
    const staging = path.join(store.staging, `incoming-${process.pid}-${serial}.payload`);
    const unpacked = path.join(store.staging, `unpacked-${process.pid}-${serial}`);
    let version: string | undefined;
    try {
      const received = await receiveBundle(source, staging, trust, maxBytes);
      const state = store.state();
      if (state.current?.bundle === received.payloadSha256) return { result: 'current', installed: state.current };
      const manifest = await openPayload(staging, unpacked, maxBytes * 4);
      version = manifest.version;
      if (this.#options.name !== undefined && manifest.name !== this.#options.name) {
        throw new EdgeAiError('bundleRefused', { reason: `it holds model "${manifest.name}", and this device takes bundles for "${this.#options.name}"` });
      }
      checkApplicable(manifest, now(), packageVersion, state.applied, state.current?.created);
      await canary(path.join(unpacked, manifest.model.file), manifest, unpacked);
      return { result: 'applied', installed: store.install(unpacked, manifest, received.keyId, received.payloadSha256) };
    } catch (err) {
      const reason = err instanceof EdgeAiError && err.code === 'bundleRefused' ? String(err.params.reason) : (err as Error).message;
      store.record('refused', reason, version);
      return { result: 'refused', reason, version };
    } finally {
      rmSync(staging, { force: true });
      rmSync(unpacked, { recursive: true, force: true });
    }
  }
}
