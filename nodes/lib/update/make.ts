// The operator's side of model updates, run from the edge-ai-model command line: a payload made
// from a model file (its signature, preprocessing and golden answers worked out here, as the
// model node will see them), signed into a bundle, and verified as a device would.
import { createHash, createPrivateKey } from 'node:crypto';
import { closeSync, copyFileSync, createReadStream, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { examineModel, isTflite } from '../model';
import { readOnnxModelInfo } from '../onnx';
import { importTflite } from '../tflite';
import { receiveBundle, signedHeader } from './envelope';
import { goldenAnswers } from './golden';
import { MANIFEST_FORMAT, parseManifest, type Manifest } from './manifest';
import { MANIFEST_FILE, openPayload, writePayload } from './payload';
import { keyId, type TrustedKeys } from './keys';
import { replaceFile } from './store';

export interface PayloadOptions {
  name: string;
  version: string;
  labels?: string;
  golden?: string[];
  /** When the bundle stops being accepted (default 90 days from now). */
  expires?: Date;
  minPackageVersion?: string;
  allowDowngrade?: boolean;
  now?: Date;
}

const DEFAULT_LIFETIME_DAYS = 90;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Write a payload (tar.gz) for `modelFile` to `out`; returns its manifest. */
export async function makePayload(modelFile: string, options: PayloadOptions, out: string): Promise<Manifest> {
  const bytes = readFileSync(modelFile);
  const format = isTflite(bytes) ? 'tflite' : 'onnx';
  const onnx = format === 'tflite' ? (await importTflite(bytes)).onnx : bytes;
  const info = readOnnxModelInfo(onnx);
  const now = options.now ?? new Date();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edge-ai-bundle-'));
  try {
    const modelName = `model.${format}`;
    copyFileSync(modelFile, path.join(dir, modelName));
    let labels: Manifest['labels'];
    if (options.labels) {
      const text = readFileSync(options.labels);
      writeFileSync(path.join(dir, 'labels.txt'), text);
      labels = { file: 'labels.txt', sha256: sha256(text), size: text.length };
    }
    const images = options.golden ?? [];
    const answers = images.length ? await goldenAnswers(onnx, images) : [];
    mkdirSync(path.join(dir, 'golden'));
    const golden = images.map((image, i) => {
      const data = readFileSync(image);
      const file = `golden/${String(i).padStart(3, '0')}${path.extname(image).toLowerCase()}`;
      writeFileSync(path.join(dir, file), data);
      return { file, sha256: sha256(data), size: data.length, answer: answers[i] };
    });
    const manifest = checkedForMaking(JSON.stringify({
      format: MANIFEST_FORMAT,
      name: options.name,
      version: options.version,
      created: now.toISOString(),
      expires: (options.expires ?? new Date(now.getTime() + DEFAULT_LIFETIME_DAYS * 86400000)).toISOString(),
      model: { file: modelName, sha256: sha256(bytes), size: bytes.length, format },
      ...(labels ? { labels } : {}),
      signature: { inputs: info.inputs, outputs: info.outputs },
      preprocessing: examineModel(info).preprocess,
      golden,
      ...(options.minPackageVersion ? { minPackageVersion: options.minPackageVersion } : {}),
      ...(options.allowDowngrade ? { allowDowngrade: true } : {}),
    }));
    writeFileSync(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    await writePayload(dir, manifest, out);
    return manifest;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The manifest as a device will check it; what it would refuse is said as a maker's error. */
function checkedForMaking(text: string): Manifest {
  try {
    return parseManifest(text);
  } catch (err) {
    const reason = (err as { params?: { reason?: string } }).params?.reason;
    throw reason ? new Error(`cannot make this bundle: ${reason}`) : err;
  }
}

/** A file's bytes a megabyte at a time (replaceFile writes synchronously). */
function* chunksOf(file: string): Generator<Buffer> {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    for (let n; (n = readSync(fd, buffer)) > 0;) yield buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Sign a payload into a bundle at `out` (written whole: store.ts's replaceFile). */
export async function signPayload(payloadFile: string, privateKeyPem: string, out: string): Promise<{ keyId: string; bytes: number }> {
  const hash = createHash('sha256');
  let length = 0;
  for await (const chunk of createReadStream(payloadFile)) {
    hash.update(chunk as Buffer);
    length += (chunk as Buffer).length;
  }
  const key = createPrivateKey(privateKeyPem);
  const header = signedHeader(key, hash.digest(), length);
  replaceFile(out, (fd) => {
    writeSync(fd, header);
    for (const chunk of chunksOf(payloadFile)) writeSync(fd, chunk);
  });
  return { keyId: keyId(key), bytes: header.length + length };
}

/** Check a bundle as a device would (signature, then contents against the manifest); nothing is kept. */
export async function verifyBundleFile(bundle: string, trust: TrustedKeys, maxBytes: number): Promise<{ manifest: Manifest; keyId: string; size: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edge-ai-verify-'));
  try {
    const staging = path.join(dir, 'payload');
    const received = await receiveBundle(createReadStream(bundle), staging, trust, maxBytes);
    const manifest = await openPayload(staging, path.join(dir, 'files'), maxBytes * 4);
    return { manifest, keyId: received.keyId, size: received.size };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
