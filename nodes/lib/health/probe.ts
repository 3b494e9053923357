// `edge-ai-model health`: asks a running Node-RED's /edge-ai/health, for a container health
// check or a Kubernetes exec probe. Exit 0 healthy, 1 starting or failing, 2 no answer or refused.
// Plain node:http, so the probe starts fast and loads none of the model tools.
import { existsSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { HealthReport } from './board';

export const PROBE_USAGE = `usage: edge-ai-model health [--url URL] [--live] [--timeout SECONDS]
  URL          the runtime (http://HOST:1880, with its httpAdminRoot if set) or its health route;
               default http://127.0.0.1:$PORT/edge-ai/health (PORT 1880), or $EDGE_AI_HEALTH_URL
  --live       healthy while the runtime answers at all (200 or 503): for liveness probes
  token        $EDGE_AI_HEALTH_TOKEN, or the file $EDGE_AI_HEALTH_TOKEN_FILE
               (default /run/secrets/edge-ai-health-token when it exists)
  exit         0 healthy, 1 starting or failing, 2 no answer or refused`;

const SECRET_FILE = '/run/secrets/edge-ai-health-token';
/** The health route under the runtime's admin root. */
const HEALTH_PATH = '/edge-ai/health';

export interface ProbeOptions {
  url: URL;
  live: boolean;
  timeoutMs: number;
  token?: string;
}

export interface ProbeResult {
  exitCode: 0 | 1 | 2;
  line: string;
}

/** The command line and the environment made into options; throws the usage on anything else. */
export function probeOptions(args: string[], env: NodeJS.ProcessEnv): ProbeOptions {
  let url = env.EDGE_AI_HEALTH_URL || `http://127.0.0.1:${env.PORT || 1880}/edge-ai/health`;
  let live = false;
  let timeoutMs = 5000;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '--live') live = true;
    else if (arg === '--url' && args[i + 1]) url = args[++i];
    else if (arg === '--timeout' && Number(args[i + 1]) > 0) timeoutMs = Number(args[++i]) * 1000;
    else throw new Error(`unexpected "${arg}"\n${PROBE_USAGE}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--url must be an http(s) URL, not "${url}"\n${PROBE_USAGE}`);
  }
  if (!/^https?:$/.test(parsed.protocol)) throw new Error(`--url must be an http(s) URL, not "${url}"\n${PROBE_USAGE}`);
  // The runtime's address alone (http://pi:1880, or with its httpAdminRoot) means its health route.
  const base = parsed.pathname.replace(/\/+$/, '');
  if (!base.endsWith(HEALTH_PATH)) parsed.pathname = `${base}${HEALTH_PATH}`;
  const tokenFile = env.EDGE_AI_HEALTH_TOKEN_FILE || (existsSync(SECRET_FILE) ? SECRET_FILE : undefined);
  const token = env.EDGE_AI_HEALTH_TOKEN || (tokenFile ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  return { url: parsed, live, timeoutMs, token: token || undefined };
}

/** One line on what is not well: each failing or starting part and why. */
export function summarize(report: HealthReport): string {
  const parts = [
    ...report.models.map((m) => ({ kind: 'model', name: m.name, status: m.status, why: m.status === 'failing' ? m.lastError?.message : m.state })),
    ...report.cameras.map((c) => ({ kind: 'camera', name: c.name, status: c.status, why: c.reason ?? c.state })),
  ];
  const notOk = parts.filter((p) => p.status !== 'ok');
  const counts = `${report.models.length} model${report.models.length === 1 ? '' : 's'}, ${report.cameras.length} camera${report.cameras.length === 1 ? '' : 's'}`;
  if (!notOk.length) return `${report.status}: ${counts}`;
  return `${report.status}: ${counts}; ${notOk.map((p) => `${p.kind} "${p.name}" ${p.status} (${p.why ?? 'no reason given'})`).join('; ')}`;
}

function get(options: ProbeOptions): Promise<{ status: number; body: string }> {
  const client = options.url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(options.url, {
      headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
      timeout: options.timeoutMs,
    }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // A health report is a few KB; anything far larger is not ours.
        if (size > 4 * 2 ** 20) request.destroy(new Error('answer larger than 4 MB'));
        else chunks.push(chunk);
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer in ${options.timeoutMs / 1000} s`)));
    request.on('error', reject);
  });
}

export async function probe(options: ProbeOptions): Promise<ProbeResult> {
  let answer: { status: number; body: string };
  try {
    answer = await get(options);
  } catch (err) {
    return { exitCode: 2, line: `no answer from ${options.url.href}: ${(err as Error).message}` };
  }
  if (answer.status === 401 || answer.status === 403) {
    const why = answer.status === 403 ? 'the token lacks the permission edge-ai-health.read'
      : options.token ? 'the token was refused' : 'adminAuth is on: give a token (EDGE_AI_HEALTH_TOKEN)';
    return { exitCode: 2, line: `${answer.status} from ${options.url.href}: ${why}` };
  }
  let report: HealthReport | undefined;
  try {
    report = JSON.parse(answer.body) as HealthReport;
  } catch {
    report = undefined;
  }
  if (!report || typeof report.status !== 'string' || !Array.isArray(report.models) || !Array.isArray(report.cameras)) {
    return { exitCode: 2, line: `${answer.status} from ${options.url.href} is not a health report: ${answer.body.slice(0, 120)}` };
  }
  const line = summarize(report);
  if (options.live) return { exitCode: 0, line: `alive; ${line}` };
  return { exitCode: answer.status === 200 && report.status === 'ok' ? 0 : 1, line };
}
