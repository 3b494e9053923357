// Bundles fetched from a URL on a schedule: each request carries the ETag of the last bundle
// taken (If-None-Match), so an unchanged bundle costs a 304 and no download. The ETag is kept
// beside the store once a bundle arrived whole (applied or refused: the same bytes would be
// refused again), so a restart does not download it again; a cut download is fetched again.
import { existsSync, readFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { systemClock, type Clock } from '../clock';
import { EdgeAiError } from '../errors';
import { replaceFile } from './store';

export type Fetched =
  | { status: 'unchanged' }
  | {
    status: 'new';
    etag?: string;
    /** The bundle's bytes as they arrive. */
    body: AsyncIterable<Uint8Array>;
    /** After the body was read: whether it arrived whole (a cut connection is fetched again). */
    complete(): boolean;
  };

/** How long one request may take, download included. */
const FETCH_TIMEOUT_MS = 10 * 60000;

/** The ETag last taken from `url`, kept in the store's folder. */
export class EtagFile {
  readonly #file: string;

  constructor(folder: string) {
    this.#file = path.join(folder, 'fetched.json');
  }

  get(url: URL): string | undefined {
    if (!existsSync(this.#file)) return undefined;
    try {
      const saved = JSON.parse(readFileSync(this.#file, 'utf8')) as { url?: string; etag?: string };
      return saved.url === url.href && typeof saved.etag === 'string' ? saved.etag : undefined;
    } catch {
      return undefined; // a damaged file costs one download
    }
  }

  set(url: URL, etag: string | undefined): void {
    replaceFile(this.#file, (fd) => writeSync(fd, JSON.stringify({ url: url.href, etag })));
  }
}

/**
 * One request for the bundle at `url`; a status other than 200 or 304 is an error. The request
 * and its download end at `stop` (the node closing) or after FETCH_TIMEOUT_MS.
 */
export async function fetchBundle(url: URL, etag: string | undefined, stop?: AbortSignal): Promise<Fetched> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer in ${FETCH_TIMEOUT_MS / 60000} minutes`)), FETCH_TIMEOUT_MS);
  const onStop = (): void => controller.abort(new Error('the node was closed'));
  stop?.addEventListener('abort', onStop);
  const finish = (): void => {
    clearTimeout(timer);
    stop?.removeEventListener('abort', onStop);
  };
  let response: Response;
  try {
    response = await fetch(url, { headers: etag ? { 'if-none-match': etag } : {}, redirect: 'follow', signal: controller.signal });
  } catch (err) {
    finish();
    const cause = (err as { cause?: Error }).cause;
    throw new EdgeAiError('bundleFetch', { url: url.href, reason: cause?.message ?? (err as Error).message });
  }
  if (response.status !== 200 || !response.body) {
    finish();
    await response.body?.cancel().catch(() => undefined);
    if (response.status === 304) return { status: 'unchanged' };
    throw new EdgeAiError('bundleFetch', { url: url.href, reason: `the server answered ${response.status} ${response.statusText}`.trim() });
  }
  const stream = response.body as unknown as AsyncIterable<Uint8Array>;
  let whole = false;
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of stream) yield chunk;
      whole = true;
    } finally {
      finish();
    }
  }
  return { status: 'new', etag: response.headers.get('etag') ?? undefined, body: body(), complete: () => whole };
}

/** Runs `check` after `delayMs`, then every `intervalMs` (Infinity: once) after the one before ended; stop() ends it. */
export class PollSchedule {
  readonly #clock: Clock;
  #timer: unknown;
  #stopped = false;

  constructor(private readonly intervalMs: number, private readonly check: () => Promise<unknown>, clock: Clock = systemClock) {
    this.#clock = clock;
  }

  start(delayMs = 0): void {
    this.#timer = this.#clock.setTimeout(() => this.#run(), delayMs);
  }

  stop(): void {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
  }

  #run(): void {
    if (this.#stopped) return;
    this.check().catch(() => undefined).finally(() => {
      if (!this.#stopped && Number.isFinite(this.intervalMs)) this.#timer = this.#clock.setTimeout(() => this.#run(), this.intervalMs);
    });
  }
}
