// A bundle's manifest: what the model is (name, version, files with their SHA-256 and size, its
// input/output signature, preprocessing, golden frames with the answers they must give) and
// when it may be applied (created, expires, the package version it needs, whether it may
// replace a newer version). Checked field by field once the signature has held: a trusted
// signer can still make mistakes.
import { EdgeAiError, describeValue } from '../errors';
import { MAX_LABELS_BYTES, type TensorInfo } from '../types';

export const MANIFEST_FORMAT = 1;

export interface BundleFile {
  /** Path inside the bundle. */
  file: string;
  sha256: string;
  size: number;
}

/** An input or output as the manifest records it: the name, type and dims the loader reads. */
export type TensorSignature = TensorInfo;

/** A frame and the answer the model must give on it: a classifier's top-1, or a detector's detections. */
export interface GoldenFrame extends BundleFile {
  answer: { top1?: number; detections?: Array<{ classId: number; box: [number, number, number, number] }> };
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  name: string;
  version: string;
  created: string;
  expires: string;
  model: BundleFile & { format: 'onnx' | 'tflite' };
  labels?: BundleFile;
  signature: { inputs: TensorSignature[]; outputs: TensorSignature[] };
  preprocessing?: Record<string, unknown>;
  golden: GoldenFrame[];
  minPackageVersion?: string;
  /** Signed permission to replace a newer version with this one (a rollback the operator chose). */
  allowDowngrade?: boolean;
}

/** Model names (and device names on the status topic): letters, digits, ".", "_", "-". */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const VERSION = /^\d{1,9}(\.\d{1,9}){0,3}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const INNER_PATH = /^(golden\/)?[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Dotted numeric versions compared part by part ("1.10" is newer than "1.9"); < 0 when `a` is older. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

/** The model name of the model node's "update" source, as the bundles' manifests give it. */
export function checkModelName(value: unknown): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value.trim())) {
    throw new EdgeAiError('badSetting', { name: 'update', expected: 'a model name of letters, digits, ".", "_" or "-" (64 at most), as the bundles\' manifests give it', received: describeValue(value) });
  }
  return value.trim();
}

function refuse(field: string, expected: string, received: unknown): never {
  throw new EdgeAiError('bundleRefused', { reason: `its manifest's ${field} must be ${expected} but is ${describeValue(received)}` });
}

function text(value: unknown, field: string, pattern: RegExp, expected: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) refuse(field, expected, value);
  return value;
}

function time(value: unknown, field: string): string {
  if (typeof value !== 'string' || !Number.isFinite(Date.parse(value))) refuse(field, 'an ISO 8601 time', value);
  return value;
}

function file(value: unknown, field: string): BundleFile {
  const v = value as Partial<BundleFile> | null;
  if (!v || typeof v !== 'object') refuse(field, 'an object {file, sha256, size}', value);
  text(v.file, `${field}.file`, INNER_PATH, 'a plain file name');
  text(v.sha256, `${field}.sha256`, SHA256, '64 hex digits');
  if (!Number.isSafeInteger(v.size) || (v.size as number) < 1) refuse(`${field}.size`, 'a positive whole number of bytes', v.size);
  return { file: v.file!, sha256: v.sha256!, size: v.size! };
}

/** A golden answer as the canary compares it: a class number, or detections with their boxes. */
function goldenAnswer(value: unknown, field: string): GoldenFrame['answer'] {
  const answer = value as GoldenFrame['answer'] | null;
  if (!answer || typeof answer !== 'object') refuse(field, 'an object {top1} or {detections}', value);
  if (answer.top1 !== undefined) {
    // "0" is not 0: a class given as text would never match the model's answer.
    if (!Number.isSafeInteger(answer.top1) || answer.top1 < 0) refuse(`${field}.top1`, 'a class number (0 or more)', answer.top1);
    return { top1: answer.top1 };
  }
  if (!Array.isArray(answer.detections)) refuse(field, 'an object {top1} or {detections}', value);
  const detections = answer.detections.map((d, j) => {
    const ok = d && typeof d === 'object' && Number.isSafeInteger(d.classId) && d.classId >= 0
      && Array.isArray(d.box) && d.box.length === 4 && d.box.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!ok) refuse(`${field}.detections[${j}]`, '{classId, box: [x, y, w, h]} in numbers', d);
    return { classId: d.classId, box: d.box };
  });
  return { detections };
}

/** A labels file no larger than a model node reads (a larger one would fail every start). */
function labelsFile(value: unknown): BundleFile {
  const labels = file(value, 'labels');
  if (labels.size > MAX_LABELS_BYTES) refuse('labels.size', `at most ${MAX_LABELS_BYTES} bytes (what a model node reads)`, labels.size);
  return labels;
}

function tensors(value: unknown, field: string): TensorSignature[] {
  if (!Array.isArray(value) || !value.length) refuse(field, 'a list of {name, type, dims}', value);
  return value.map((t: Partial<TensorSignature>, i) => {
    if (!t || typeof t.name !== 'string' || typeof t.type !== 'string' || !Array.isArray(t.dims)) refuse(`${field}[${i}]`, '{name, type, dims}', t);
    return { name: t.name, type: t.type, dims: t.dims };
  });
}

/** The manifest's text, checked field by field. */
export function parseManifest(textValue: string): Manifest {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(textValue) as Record<string, unknown>;
  } catch (err) {
    throw new EdgeAiError('bundleRefused', { reason: `its manifest is not JSON (${(err as Error).message})` });
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) refuse('whole', 'an object', raw);
  if (raw.format !== MANIFEST_FORMAT) refuse('format', String(MANIFEST_FORMAT), raw.format);
  const model = raw.model as Record<string, unknown> | undefined;
  const modelFile = file(model, 'model');
  if (model!.format !== 'onnx' && model!.format !== 'tflite') refuse('model.format', '"onnx" or "tflite"', model!.format);
  const signature = raw.signature as Record<string, unknown> | undefined;
  if (!signature || typeof signature !== 'object') refuse('signature', 'an object {inputs, outputs}', signature);
  if (!Array.isArray(raw.golden)) refuse('golden', 'a list of frames (it may be empty)', raw.golden);
  const golden = (raw.golden as unknown[]).map((g, i) => {
    const frame = file(g, `golden[${i}]`);
    return { ...frame, answer: goldenAnswer((g as { answer?: unknown }).answer, `golden[${i}].answer`) };
  });
  if (raw.allowDowngrade !== undefined && typeof raw.allowDowngrade !== 'boolean') refuse('allowDowngrade', 'true or false', raw.allowDowngrade);
  if (raw.preprocessing !== undefined && (typeof raw.preprocessing !== 'object' || raw.preprocessing === null)) refuse('preprocessing', 'an object', raw.preprocessing);
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    name: text(raw.name, 'name', NAME_PATTERN, 'a name of letters, digits, ".", "_" or "-" (64 at most)'),
    version: text(raw.version, 'version', VERSION, 'a dotted number such as 3 or 1.4.2'),
    created: time(raw.created, 'created'),
    expires: time(raw.expires, 'expires'),
    model: { ...modelFile, format: model!.format as 'onnx' | 'tflite' },
    ...(raw.labels !== undefined ? { labels: labelsFile(raw.labels) } : {}),
    signature: { inputs: tensors(signature!.inputs, 'signature.inputs'), outputs: tensors(signature!.outputs, 'signature.outputs') },
    ...(raw.preprocessing ? { preprocessing: raw.preprocessing as Record<string, unknown> } : {}),
    golden,
    ...(raw.minPackageVersion !== undefined ? { minPackageVersion: text(raw.minPackageVersion, 'minPackageVersion', VERSION, 'a dotted number such as 0.2.0') } : {}),
    ...(raw.allowDowngrade ? { allowDowngrade: true } : {}),
  };
  if (Date.parse(manifest.expires) <= Date.parse(manifest.created)) refuse('expires', `later than created (${manifest.created})`, manifest.expires);
  const names = [manifest.model.file, manifest.labels?.file, ...golden.map((g) => g.file)].filter(Boolean);
  if (new Set(names).size !== names.length) refuse('files', 'different files', names.join(', '));
  // A file named as another one's folder (a model "golden" beside "golden/000.png") cannot be both.
  const folderToo = names.find((name) => names.some((other) => other!.startsWith(`${name}/`)));
  if (folderToo) refuse('files', `names that are not also another file's folder ("${folderToo}" is both)`, names.join(', '));
  return manifest;
}

/**
 * Whether this device may apply the manifest now: not expired, this package new enough, and
 * newer than what the device has applied (`applied`: its anti-rollback version) unless the
 * signer allowed the downgrade. A creation time in the future is not refused: a Raspberry Pi
 * without a clock battery starts in the past.
 */
export function checkApplicable(manifest: Manifest, now: number, packageVersion: string, applied?: string, currentCreated?: string): void {
  if (now >= Date.parse(manifest.expires)) throw new EdgeAiError('bundleRefused', { reason: `it expired at ${manifest.expires}` });
  if (manifest.minPackageVersion && compareVersions(packageVersion.replace(/[-+].*$/, ''), manifest.minPackageVersion) < 0) {
    throw new EdgeAiError('bundleRefused', { reason: `it needs @edgeflow/node-red-edge-ai ${manifest.minPackageVersion} or later; this device has ${packageVersion}` });
  }
  // A signed downgrade is taken once: it must have been made after the version it replaces, so
  // an old downgrade bundle replayed later (anyone can publish to the topic) is refused.
  if (manifest.allowDowngrade && currentCreated !== undefined && Date.parse(manifest.created) <= Date.parse(currentCreated)) {
    throw new EdgeAiError('bundleRefused', { reason: `it allows a downgrade but was made at ${manifest.created}, not after the version in use (made at ${currentCreated}): a replayed bundle?` });
  }
  if (applied !== undefined && compareVersions(manifest.version, applied) <= 0 && !manifest.allowDowngrade) {
    throw new EdgeAiError('bundleRefused', {
      reason: compareVersions(manifest.version, applied) === 0
        ? `version ${manifest.version} of ${manifest.name} is already applied`
        : `version ${manifest.version} is older than ${applied}, applied before (a downgrade needs a manifest signed with allowDowngrade)`,
    });
  }
}
