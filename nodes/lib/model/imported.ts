// TensorFlow Lite files made ONNX for onnxruntime, once: the imported model is kept in a cache
// folder under the file's SHA-256 (and a hash of the importer's code), so a restart or a second node
// on the same file loads it without converting again. Runs where models are opened (the
// inference worker, the checker process), never on the Node-RED thread.
import { createHash } from 'node:crypto';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EdgeAiError } from '../errors';
import { importTflite, TfliteImportError, type ImportOptions, type TfliteImport } from '../tflite';
import { readOnnxModelInfo } from '../onnx';

let fingerprint: string | undefined;

/**
 * The importer's own code, hashed: part of each cached file's name, so an import made by any
 * other version of the importer (an update, a fix) is never used.
 */
export function importerFingerprint(): string {
  if (fingerprint === undefined) {
    const folder = path.join(__dirname, '..', 'tflite');
    const hash = createHash('sha256');
    for (const file of readdirSync(folder).filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts')).sort()) hash.update(file).update(readFileSync(path.join(folder, file)));
    fingerprint = hash.digest('hex').slice(0, 12);
  }
  return fingerprint;
}

const cachedFile = (sha256: string, options: ImportOptions = {}): string =>
  path.join(cacheDirectory(), `${sha256}.tflite-${importerFingerprint()}${options.symmetricWeights ? '-symmetric' : ''}.onnx`);

export const isTflite = (bytes: Buffer): boolean => bytes.length >= 8 && bytes.toString('latin1', 4, 8) === 'TFL3';

/** EDGE_AI_CACHE_DIR, else the user's cache folder (XDG_CACHE_HOME or ~/.cache) / node-red-edge-ai. */
export function cacheDirectory(): string {
  if (process.env.EDGE_AI_CACHE_DIR) return process.env.EDGE_AI_CACHE_DIR;
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'node-red-edge-ai');
}

/** The file converted, with the importer's errors as the model node's. */
export async function convertTflite(file: string, bytes: Buffer, options: ImportOptions = {}): Promise<TfliteImport> {
  try {
    return await importTflite(bytes, options);
  } catch (err) {
    if (!(err instanceof TfliteImportError)) throw err;
    throw new EdgeAiError(err.problem === 'invalid' ? 'tfliteInvalid' : 'tfliteUnsupported', { path: file, reason: err.message });
  }
}

/** The ONNX model of a .tflite file: from the cache, or converted and then cached. */
export async function importedModel(file: string, bytes: Buffer, sha256: string, options: ImportOptions = {}): Promise<{ onnx: Buffer; cached: boolean }> {
  const cached = cachedFile(sha256, options);
  try {
    const onnx = await fs.readFile(cached);
    // A damaged cache file (a full disk, a hand edit) is converted again, not trusted.
    readOnnxModelInfo(onnx);
    return { onnx, cached: true };
  } catch {
    // Not cached yet, unreadable or damaged: convert.
  }
  const { onnx } = await convertTflite(file, bytes, options);
  try {
    await fs.mkdir(path.dirname(cached), { recursive: true });
    // Written whole under another name, then renamed: a reader never sees half a model.
    const partial = `${cached}.${process.pid}.${Date.now()}.partial`;
    await fs.writeFile(partial, onnx);
    await fs.rename(partial, cached);
    // Imports of this file by other versions of the importer will not be used again.
    const current = `${sha256}.tflite-${importerFingerprint()}`;
    const stale = (await fs.readdir(path.dirname(cached))).filter((f) => f.startsWith(`${sha256}.tflite-`) && !f.startsWith(current));
    await Promise.all(stale.map((f) => fs.rm(path.join(path.dirname(cached), f), { force: true })));
  } catch {
    // A cache that cannot be written only costs the conversion next time.
  }
  return { onnx, cached: false };
}

/** Forget a cached import that onnxruntime refused (a damaged cache file must not stick). */
export async function dropCachedImport(sha256: string, options: ImportOptions = {}): Promise<void> {
  await fs.rm(cachedFile(sha256, options), { force: true });
}
