// `edge-ai-model`: the model tools on the command line, for making the int8 and smaller-input
// variants of a model on the device itself (no Python, nothing downloaded), reading what a model
// file needs (doctor, inspect), and the operator's side of fleet updates. USAGE below lists the
// commands; `edge-ai-model health` is the health probe, which bin/edge-ai-model.js runs without
// loading these tools.
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { resizeYoloInput } from './input-size';
import { searchInt8, type Int8Search } from './int8-run';
import { describeTflite } from './tflite-report';
import { catalogText, describeDoctorReport, describeOnnx } from './model-report';
import { importTflite, TfliteImportError, type ImportOptions } from '../tflite';
import { inspectInWorker, isTflite } from '../model';
import { shadowCheck, shadowReportPath, type ShadowThresholds } from '../int8';
import { generateSigningKeys, makePayload, signPayload, TrustedKeys, verifyBundleFile } from '../update';

/** The model was written, but its shadow check failed: the command exits 3. */
export class CheckFailed extends Error {
  readonly exitCode = 3;
}

const USAGE = `usage:
  edge-ai-model quantize MODEL.onnx|MODEL.tflite --images DIR|FILE... [--out FILE]
                [--method auto|min-max|percentile|entropy|mse] [--percentile 99.99]
                [--target 0.96] [--no-mixed] [--no-bias-correction]
                [--check DIR|FILE... [--min-agreement 0.95] [--max-added 0.05] [--min-speedup 1.2] [--threads 1]]
                [--per-tensor] [--reduce-range] [--exclude NAME,...] [--max-images N]
  edge-ai-model check MODEL.onnx --int8 CANDIDATE.onnx --images DIR|FILE... [--min-agreement 0.95]
                [--max-added 0.05] [--min-speedup 1.2] [--threads 1]   (writes CANDIDATE.onnx.check.json)
  edge-ai-model resize MODEL.onnx --size 320|WxH [--out FILE]
  edge-ai-model convert MODEL.tflite [--out FILE] [--symmetric-weights]
  edge-ai-model doctor MODEL.onnx|MODEL.tflite   (what the model dialog's report says: task, preprocessing, labels)
  edge-ai-model inspect MODEL.onnx|MODEL.tflite  (the file's inputs, outputs and operators)
  edge-ai-model keygen NAME   (writes NAME.key, the private signing key, and NAME.pub for devices)
  edge-ai-model bundle MODEL.onnx|MODEL.tflite --name NAME --version 1.2.0 [--labels FILE]
                [--golden DIR|FILE...] [--expires-days 90] [--min-package 0.1.0] [--allow-downgrade]
                [--key NAME.key] [--out FILE]   (a payload, or with --key a signed .bundle)
  edge-ai-model sign PAYLOAD.tgz --key NAME.key [--out FILE.bundle]
  edge-ai-model verify FILE.bundle --trust NAME.pub... [--revoked KEYID,...] [--max-mb 200]
  edge-ai-model health [--url URL] [--live] [--timeout SECONDS]   (a running Node-RED's /edge-ai/health)
  edge-ai-model --help | --version`;

/** The package's root, from dist/lib/tools. */
const PACKAGE_ROOT = path.join(__dirname, '..', '..', '..');

const IMAGE_FILE = /\.(jpe?g|png|webp|bmp|tiff?)$/i;

interface Parsed {
  command: string;
  model: string;
  options: Map<string, string[]>;
}

function parse(args: string[]): Parsed {
  const [command, model, ...rest] = args;
  if (!command || !model || command.startsWith('-') || model.startsWith('-')) throw new Error(USAGE);
  const options = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const arg of rest) {
    if (arg.startsWith('--')) options.set(arg.slice(2), (current = []));
    else if (current) current.push(arg);
    else throw new Error(`unexpected "${arg}"\n${USAGE}`);
  }
  return { command, model, options };
}

function one(options: Map<string, string[]>, name: string): string | undefined {
  const values = options.get(name);
  if (values && values.length !== 1) throw new Error(`--${name} takes one value`);
  return values?.[0];
}

/** Image files from folders (sorted, non-recursive) and file arguments; `what` names them in errors. */
export function imageFiles(entries: string[], max: number, what = 'images'): string[] {
  if (!entries.length) throw new Error(`--${what} needs a folder or image files\n${USAGE}`);
  const files = entries.flatMap((entry) => {
    let isFolder: boolean;
    try {
      isFolder = statSync(entry).isDirectory();
    } catch {
      throw new Error(`--${what}: ${entry} does not exist`);
    }
    return isFolder ? readdirSync(entry).filter((f) => IMAGE_FILE.test(f)).sort().map((f) => path.join(entry, f)) : [entry];
  });
  if (!files.length) throw new Error(`--${what}: no image files (${IMAGE_FILE.source}) in ${entries.join(', ')}`);
  return files.slice(0, max);
}

/** Write a file whole or not at all: a temporary name beside it, flushed to disk, then renamed. */
export function writeWhole(file: string, bytes: Uint8Array, mode = 0o644): void {
  const partial = path.join(path.dirname(file), `.${path.basename(file)}.partial-${process.pid}`);
  try {
    const fd = openSync(partial, 'w', mode);
    try {
      for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, file);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}

const number = (options: Map<string, string[]>, name: string, low: number, high: number): number | undefined => {
  const text = one(options, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < low || value > high) throw new Error(`--${name} takes a number from ${low} to ${high}, not "${text}"`);
  return value;
};

/** What the quantize command prints: the model, the method that won, the float nodes, the check. */
function describeSearch(out: string, bytes: Uint8Array, result: Int8Search, options: Map<string, string[]>): string[] {
  const { report } = result;
  const nodes = Object.entries(report.quantizedNodes).map(([op, n]) => `${n} ${op}`).join(', ');
  const lines = [`${out}: ${(report.bytes.length / 1e6).toFixed(1)} MB (was ${(bytes.length / 1e6).toFixed(1)} MB), int8: ${nodes}; `
    + `${report.activations} activation ranges from ${report.calibrationInputs} images, opset ${report.opset}, ${result.seconds.toFixed(1)} s`];
  if (result.methods) for (const m of result.methods) lines.push(`  method ${m.method.padEnd(34)} ${m.agreement} on the calibration images`);
  lines.push(`  chosen: ${result.method}; ${result.agreement} on the calibration images`);
  if (result.float.length) {
    lines.push(`  kept in float (most sensitive first; ${result.met ? 'target met' : 'target NOT met'}): ${result.float.length} of ${result.computeNodes} compute nodes`);
    for (const f of result.float) lines.push(`    ${f.node}  sensitivity ${f.sensitivity.toExponential(2)}${f.costMs === undefined ? '' : `, costs ${f.costMs.toFixed(2)} ms`}`);
    if (result.timing) lines.push(`  all-int8 ${result.timing.int8Ms.toFixed(2)} ms, with these in float ${result.timing.mixedMs.toFixed(2)} ms a run`);
  } else if (!result.met) lines.push(`  target NOT met; no float nodes kept (${options.has('no-mixed') ? '--no-mixed' : 'keeping the most sensitive float gained no more than chance'})`);
  if (result.check) {
    lines.push(`  check on ${result.check.images} held-out images: ${result.check.summary}`);
    lines.push(result.check.passed ? `  check PASSED (${result.checkFile})` : `  check FAILED: ${result.check.failures.join('; ')} (${result.checkFile})`);
  }
  return lines;
}

const outputPath = (model: string, suffix: string): string => path.join(path.dirname(model), `${path.basename(model).replace(/\.(onnx|tflite)$/i, '')}_${suffix}.onnx`);

/** The importer's refusals as the command's one-line error. */
async function imported(model: string, bytes: Buffer, options: ImportOptions = {}): Promise<Awaited<ReturnType<typeof importTflite>>> {
  try {
    return await importTflite(bytes, options);
  } catch (err) {
    if (err instanceof TfliteImportError) throw new Error(`${model}: ${err.message}`);
    throw err;
  }
}

/** Bundles a device accepts by default are at most this large (the update node's own default). */
const DEFAULT_BUNDLE_MAX_MB = 200;

/** keygen, bundle, sign and verify: the operator's side of fleet updates. */
async function bundleCommand(command: string, target: string, options: Map<string, string[]>, log: (line: string) => void): Promise<string> {
  if (command === 'keygen') {
    const keys = generateSigningKeys();
    const [privateFile, publicFile] = [`${target}.key`, `${target}.pub`];
    for (const f of [privateFile, publicFile]) if (existsSync(f)) throw new Error(`${f} exists; keygen never overwrites a key`);
    writeWhole(privateFile, Buffer.from(keys.privatePem), 0o600);
    writeWhole(publicFile, Buffer.from(keys.publicPem));
    log(`key ${keys.id}: ${privateFile} signs (keep it off the devices), ${publicFile} goes to every device's trusted keys`);
    return publicFile;
  }
  if (command === 'bundle') {
    const name = one(options, 'name');
    const version = one(options, 'version');
    if (!name || !version) throw new Error(`bundle needs --name and --version\n${USAGE}`);
    const days = number(options, 'expires-days', 0.001, 36500);
    const key = one(options, 'key');
    const base = path.join(path.dirname(target), `${name}-${version}`);
    const out = one(options, 'out') ?? `${base}${key ? '.bundle' : '.tgz'}`;
    const payload = key ? `${out}.payload-${process.pid}` : out;
    try {
      const manifest = await makePayload(target, {
        name, version, labels: one(options, 'labels'), golden: options.has('golden') ? imageFiles(options.get('golden') ?? [], 64, 'golden') : undefined,
        expires: days === undefined ? undefined : new Date(Date.now() + days * 86400000), minPackageVersion: one(options, 'min-package'), allowDowngrade: options.has('allow-downgrade'),
      }, payload);
      if (key) await signPayload(payload, readFileSync(key, 'utf8'), out);
      log(`${out}: ${manifest.name} ${manifest.version}, model ${manifest.model.sha256.slice(0, 12)}…, ${manifest.golden.length} golden frames, expires ${manifest.expires}${key ? ', signed' : ' (unsigned: edge-ai-model sign it)'}`);
      return out;
    } finally {
      if (key) rmSync(payload, { force: true });
    }
  }
  if (command === 'sign') {
    const key = one(options, 'key');
    if (!key) throw new Error(`sign needs --key NAME.key\n${USAGE}`);
    const out = one(options, 'out') ?? target.replace(/(\.tgz|\.tar\.gz)?$/i, '.bundle');
    const signed = await signPayload(target, readFileSync(key, 'utf8'), out);
    log(`${out}: ${signed.bytes} bytes, signed by key ${signed.keyId}`);
    return out;
  }
  const trustFiles = options.get('trust') ?? [];
  if (!trustFiles.length) throw new Error(`verify needs --trust NAME.pub (one or more)\n${USAGE}`);
  const trust = new TrustedKeys(trustFiles.map((f) => readFileSync(f, 'utf8')).join('\n'), (one(options, 'revoked') ?? '').split(',').filter(Boolean));
  const maxBytes = (number(options, 'max-mb', 0.001, 100000) ?? DEFAULT_BUNDLE_MAX_MB) * 1e6;
  const { manifest, keyId, size } = await verifyBundleFile(target, trust, maxBytes);
  log(`${target}: VALID, signed by key ${keyId}; ${manifest.name} ${manifest.version} (${manifest.model.format}, ${manifest.model.size} bytes, sha256 ${manifest.model.sha256}), ${size} bytes, `
    + `${manifest.golden.length} golden frames, created ${manifest.created}, expires ${manifest.expires}`);
  return target;
}

export async function main(args: string[], log: (line: string) => void = console.log): Promise<string> {
  if (args.length === 1 && ['--help', '-h', 'help'].includes(args[0])) {
    log(USAGE);
    return '';
  }
  if (args.length === 1 && ['--version', '-v'].includes(args[0])) {
    const { version } = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
    log(version);
    return version;
  }
  const { command, model, options } = parse(args);
  if (command === 'doctor') {
    const catalog = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'dist', 'locales', 'en-US', 'edge-ai-model.json'), 'utf8')) as Record<string, unknown>;
    for (const line of describeDoctorReport(await inspectInWorker(path.resolve(model)), catalogText(catalog, 'edge-ai-model'))) log(line);
    return model;
  }
  if (['keygen', 'bundle', 'sign', 'verify'].includes(command)) return bundleCommand(command, model, options, log);
  const file = readFileSync(model);
  // A float .tflite file is quantized as the ONNX model the model node would make of it.
  const bytes = command === 'quantize' && isTflite(file) ? (await imported(model, file)).onnx : file;
  const thresholds = (): Partial<ShadowThresholds> => ({
    minAgreement: number(options, 'min-agreement', 0, 1), maxAdded: number(options, 'max-added', 0, 1), minSpeedup: number(options, 'min-speedup', 0, 100),
  });
  if (command === 'check') {
    const candidate = one(options, 'int8');
    if (!candidate) throw new Error(`check needs --int8 CANDIDATE.onnx\n${USAGE}`);
    const images = imageFiles(options.get('images') ?? [], 100000);
    const report = await shadowCheck(bytes, readFileSync(candidate), images, {
      thresholds: thresholds(), threads: number(options, 'threads', 1, 64),
    });
    const reportFile = shadowReportPath(candidate);
    writeWhole(reportFile, Buffer.from(`${JSON.stringify(report, null, 2)}\n`));
    log(`${candidate}: ${report.summary}`);
    if (!report.passed) throw new CheckFailed(`check FAILED: ${report.failures.join('; ')} (${reportFile})`);
    log(`check PASSED (${reportFile})`);
    return reportFile;
  }
  if (command === 'quantize') {
    const max = number(options, 'max-images', 1, 100000) ?? 64;
    const images = imageFiles(options.get('images') ?? [], max);
    const checkImages = options.has('check') ? imageFiles(options.get('check') ?? [], 100000, 'check') : undefined;
    // The report pins the files it compared; a .tflite file is compared as its import, which a model node could not match.
    if (checkImages && isTflite(file)) throw new Error(`--check compares ONNX files: convert ${model} first (edge-ai-model convert), then quantize the .onnx`);
    const calibrationSet = new Set(images.map((f) => realpathSync(f)));
    const overlap = checkImages?.filter((f) => calibrationSet.has(realpathSync(f))) ?? [];
    if (overlap.length) throw new Error(`--check images must be ones the calibration did not see; ${overlap.length} are in --images too (${path.basename(overlap[0])}…)`);
    const method = one(options, 'method') ?? 'auto';
    if (!['auto', 'min-max', 'percentile', 'entropy', 'mse'].includes(method)) throw new Error(`--method takes auto, min-max, percentile, entropy or mse, not "${method}"`);
    const out = one(options, 'out') ?? outputPath(model, 'int8');
    const result = await searchInt8(bytes, images, {
      method: method as never,
      percentile: number(options, 'percentile', 50, 100),
      target: { agreement: number(options, 'target', 0, 1), added: number(options, 'target-added', 0, 10) },
      mixed: !options.has('no-mixed'),
      correctBias: options.has('no-bias-correction') ? false : undefined,
      build: { perChannel: !options.has('per-tensor'), reduceRange: options.has('reduce-range'), exclude: (one(options, 'exclude') ?? '').split(',').filter(Boolean) },
      check: checkImages && {
        images: checkImages,
        thresholds: thresholds(),
        threads: number(options, 'threads', 1, 64),
      },
      log: options.has('quiet') ? undefined : (line) => log(`  ${line}`),
    });
    writeWhole(out, result.report.bytes);
    if (result.check) {
      result.checkFile = shadowReportPath(out);
      writeWhole(result.checkFile, Buffer.from(`${JSON.stringify(result.check, null, 2)}\n`));
    }
    for (const line of describeSearch(out, bytes, result, options)) log(line);
    if (result.check && !result.check.passed) throw new CheckFailed(`${out}: the check failed, so a model node will not serve it: ${result.check.failures.join('; ')}`);
    return out;
  }
  if (command === 'resize') {
    const size = /^(\d+)(?:x(\d+))?$/.exec(one(options, 'size') ?? '');
    if (!size) throw new Error(`--size takes a size such as 320 or 416x256\n${USAGE}`);
    const [width, height] = [Number(size[1]), Number(size[2] ?? size[1])];
    const report = resizeYoloInput(bytes, width, height);
    const out = one(options, 'out') ?? outputPath(model, `${width}x${height}`);
    writeWhole(out, report.bytes);
    log(`${out}: input ${width}x${height}, ${report.anchors.from} -> ${report.anchors.to} anchors, ${report.constants} constants rewritten`);
    return out;
  }
  if (command === 'inspect' && !isTflite(file)) {
    let lines: string[];
    try {
      lines = describeOnnx(file);
    } catch (err) {
      throw new Error(`${model} is neither an ONNX nor a TFLite model (${(err as Error).message})`);
    }
    for (const line of lines) log(line);
    return model;
  }
  if (command === 'convert' || command === 'inspect') {
    const result = await imported(model, file, { symmetricWeights: options.has('symmetric-weights') });
    if (command === 'inspect') {
      for (const line of describeTflite(result)) log(line);
      return model;
    }
    const out = one(options, 'out') ?? path.join(path.dirname(model), `${path.basename(model, '.tflite')}.onnx`);
    writeWhole(out, result.onnx);
    const ops = [...result.operators].map(([op, n]) => `${n} ${op}`).join(', ');
    const requantized = options.has('symmetric-weights') ? `; weights made symmetric, ${result.requantizedChannels} channels requantized` : '';
    log(`${out}: ONNX opset 17, ${(result.onnx.length / 1e6).toFixed(1)} MB, from ${result.model.operators.length} TFLite operators (${ops})${requantized}`);
    return out;
  }
  throw new Error(`unknown command "${command}"\n${USAGE}`);
}
