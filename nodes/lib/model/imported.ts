// TensorFlow Lite files made ONNX for onnxruntime, once: the imported model is kept in a cache
// folder under the file's SHA-256 (and the importer's version), so a restart or a second node
// on the same file loads it without converting again. Runs where models are opened (the
// inference worker, the checker process), never on the Node-RED thread.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EdgeAiError } from '../errors';
import { importTflite, TfliteImportError, type TfliteImport } from '../tflite';

/** Raise when the importer's output changes, so cached models made by an older one are not used. */
export const IMPORTER_VERSION = 1;

export const isTflite = (bytes: Buffer): boolean => bytes.length >= 8 && bytes.toString('latin1', 4, 8) === 'TFL3';

/** EDGE_AI_CACHE_DIR, else the user's cache folder (XDG_CACHE_HOME or ~/.cache) / node-red-edge-ai. */
export function cacheDirectory(): string {
  if (process.env.EDGE_AI_CACHE_DIR) return process.env.EDGE_AI_CACHE_DIR;
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'node-red-edge-ai');
}

/** The file converted, with the importer's errors as the model node's. */
export async function convertTflite(file: string, bytes: Buffer): Promise<TfliteImport> {
  try {
    return await importTflite(bytes);
  } catch (err) {
    if (!(err instanceof TfliteImportError)) throw err;
    throw new EdgeAiError(err.problem === 'invalid' ? 'tfliteInvalid' : 'tfliteUnsupported', { path: file, reason: err.message });
  }
}

/** The ONNX model of a .tflite file: from the cache, or converted and then cached. */
export async function importedModel(file: string, bytes: Buffer, sha256: string): Promise<{ onnx: Buffer; cached: boolean }> {
  const cached = path.join(cacheDirectory(), `${sha256}.tflite-v${IMPORTER_VERSION}.onnx`);
  try {
    return { onnx: await fs.readFile(cached), cached: true };
  } catch {
    // Not cached yet (or unreadable): convert.
  }
  const { onnx } = await convertTflite(file, bytes);
  try {
    await fs.mkdir(path.dirname(cached), { recursive: true });
    // Written whole under another name, then renamed: a reader never sees half a model.
    const partial = `${cached}.${process.pid}.${Date.now()}.partial`;
    await fs.writeFile(partial, onnx);
    await fs.rename(partial, cached);
  } catch {
    // A cache that cannot be written only costs the conversion next time.
  }
  return { onnx, cached: false };
}

/** Forget a cached import that onnxruntime refused (a damaged cache file must not stick). */
export async function dropCachedImport(sha256: string): Promise<void> {
  await fs.rm(path.join(cacheDirectory(), `${sha256}.tflite-v${IMPORTER_VERSION}.onnx`), { force: true });
}
