// A bundle's payload: a tar.gz (node-tar, npm's own) holding manifest.json first, then the model,
// its labels and the golden frames the manifest lists. Opened only after the signature held,
// and still strictly: the manifest first, every other entry listed in it with the same size,
// plain files only, nothing written outside the target folder, each file hashed and flushed on
// the way and compared with the manifest.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { c as createTar, Parser as TarParser, type ReadEntry } from 'tar';
import { EdgeAiError } from '../errors';
import { parseManifest, type BundleFile, type Manifest } from './manifest';

export const MANIFEST_FILE = 'manifest.json';
/** A manifest is a few KB; this bounds what is read before it is checked. */
const MANIFEST_MAX_BYTES = 256 * 1024;

/** The files of a manifest, in the order they are written into a payload. */
export const manifestFiles = (manifest: Manifest): BundleFile[] => [manifest.model, ...(manifest.labels ? [manifest.labels] : []), ...manifest.golden];

/** Write a payload from `dir` (which holds manifest.json and the files it lists). */
export async function writePayload(dir: string, manifest: Manifest, out: string): Promise<void> {
  await createTar({ gzip: true, file: out, cwd: dir, portable: true, noDirRecurse: true }, [MANIFEST_FILE, ...manifestFiles(manifest).map((f) => f.file)]);
}

const refuse = (reason: string): EdgeAiError => new EdgeAiError('bundleRefused', { reason });

/**
 * Unpack a verified payload into `dir` (made if missing) and return its manifest. `maxUnpacked`
 * bounds the files' total size as the manifest declares it.
 */
export async function openPayload(payload: string, dir: string, maxUnpacked: number): Promise<Manifest> {
  let manifest: Manifest | undefined;
  let problem: EdgeAiError | undefined;
  const seen = new Set<string>();
  const pending: Array<Promise<void>> = [];
  const source = createReadStream(payload);
  let settle: (err?: unknown) => void = () => undefined;
  const parsed = new Promise<void>((resolve, reject) => {
    settle = (err) => (err ? reject(err) : resolve());
  });
  // The first refusal stops the reading: a bundle whose next entry inflates to a gigabyte is
  // refused now, not after the gigabyte (its bytes are never read, so never inflated).
  const stop = (entry: ReadEntry, error: EdgeAiError): void => {
    problem ??= error;
    entry.resume();
    source.unpipe(parser);
    source.destroy();
    settle();
  };
  const parser = new TarParser({
    onReadEntry: (entry) => {
      if (problem) return void entry.resume();
      if (entry.type !== 'File') return stop(entry, refuse(`its payload holds a ${entry.type} "${entry.path}"; only plain files are allowed`));
      if (!manifest) {
        if (entry.path !== MANIFEST_FILE) return stop(entry, refuse(`its payload starts with "${entry.path}", not ${MANIFEST_FILE}`));
        if ((entry.size ?? 0) > MANIFEST_MAX_BYTES) return stop(entry, refuse(`its manifest is ${entry.size} bytes, over ${MANIFEST_MAX_BYTES}`));
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        pending.push(new Promise<void>((resolve) => entry.on('end', () => {
          try {
            manifest = parseManifest(Buffer.concat(chunks).toString('utf8'));
            const total = manifestFiles(manifest).reduce((a, f) => a + f.size, 0);
            if (total > maxUnpacked) stop(entry, refuse(`its files come to ${total} bytes, over this device's cap of ${maxUnpacked}`));
          } catch (err) {
            stop(entry, err as EdgeAiError);
          }
          resolve();
        })));
        return;
      }
      const listed = manifestFiles(manifest).find((f) => f.file === entry.path);
      if (!listed || seen.has(entry.path)) return stop(entry, refuse(`its payload holds "${entry.path}", which the manifest does not list (or lists once)`));
      if (entry.size !== listed.size) return stop(entry, refuse(`"${entry.path}" is ${entry.size} bytes; the manifest says ${listed.size}`));
      seen.add(entry.path);
      pending.push(writeChecked(entry, dir, listed).catch((err: EdgeAiError) => stop(entry, err)));
    },
  });
  parser.on('end', () => settle());
  parser.on('error', (err: Error) => settle(problem ? undefined : refuse(`its payload is not a readable tar.gz (${err.message})`)));
  source.on('error', (err: Error) => settle(problem ? undefined : refuse(`its payload could not be read (${err.message})`)));
  source.pipe(parser);
  await parsed;
  await Promise.all(pending);
  if (problem) throw problem;
  if (!manifest) throw refuse(`its payload holds no ${MANIFEST_FILE}`);
  const missing = manifestFiles(manifest).filter((f) => !seen.has(f.file));
  if (missing.length) throw refuse(`its payload lacks ${missing.map((f) => f.file).join(', ')}, listed in the manifest`);
  return manifest;
}

/** One entry into `dir`, hashed and flushed; a hash other than the manifest's is refused. */
function writeChecked(entry: ReadEntry, dir: string, listed: BundleFile): Promise<void> {
  const target = path.join(dir, listed.file);
  // INNER_PATH in the manifest allows a plain name or golden/NAME only: the target stays in dir.
  // Called from tar's parser: a disk that is full, or a name that is a folder already, must
  // refuse the bundle, not throw into the parser (an uncaught exception there ends Node-RED).
  let fd: number;
  try {
    mkdirSync(path.dirname(target), { recursive: true });
    fd = openSync(target, 'w', 0o644);
  } catch (err) {
    return Promise.reject(refuse(`"${listed.file}" could not be written: ${(err as Error).message}`));
  }
  const hash = createHash('sha256');
  return new Promise<void>((resolve, reject) => {
    // A full or failing disk: kept and reported at the end, not thrown into tar's parser.
    let writeError: Error | undefined;
    entry.on('data', (chunk: Buffer) => {
      if (writeError) return;
      hash.update(chunk);
      try {
        writeSync(fd, chunk);
      } catch (err) {
        writeError = err as Error;
      }
    });
    entry.on('end', () => {
      try {
        if (writeError) throw refuse(`"${listed.file}" could not be written: ${writeError.message}`);
        fsyncSync(fd);
        const actual = hash.digest('hex');
        if (actual !== listed.sha256) throw refuse(`"${listed.file}" has SHA-256 ${actual}; the manifest says ${listed.sha256}`);
        resolve();
      } catch (err) {
        reject(err);
      } finally {
        closeSync(fd);
      }
    });
    entry.on('error', (err: unknown) => {
      closeSync(fd);
      reject(refuse(`"${listed.file}" could not be read from the payload: ${(err as Error).message}`));
    });
  });
}
