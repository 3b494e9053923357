// HTTP capture: a long-lived MJPEG stream connection, or snapshots polled one request at a time.
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { EdgeAiError } from '../errors';
import { redactUrl } from './ffmpeg';
import { toJpegFrame, type Frame, type FrameSource } from './sources';
import type { Connection } from './supervisor';

export interface HttpOptions {
  /** Give up when the server sends nothing for this long. */
  idleTimeoutMs: number;
  headers?: Record<string, string>;
}

/** One HTTP GET whose body is streamed to the supervisor (user:password in the URL is sent as Basic auth). */
export class HttpConnection implements Connection {
  #request: http.ClientRequest | undefined;
  #closed: Promise<void> = Promise.resolve();
  #contentType: string | undefined;

  constructor(readonly url: string, readonly options: HttpOptions) {}

  /** The response's Content-Type, once it came. */
  get contentType(): string | undefined {
    return this.#contentType;
  }

  open(onData: (chunk: Buffer) => void, onEnd: (reason: string) => void): void {
    let ended = false;
    const end = (reason: string): void => {
      if (ended) return;
      ended = true;
      onEnd(reason);
    };
    const client = this.url.startsWith('https:') ? https : http;
    const request = client.get(this.url, { headers: this.options.headers, timeout: this.options.idleTimeoutMs });
    this.#request = request;
    this.#closed = new Promise((resolve) => request.once('close', () => resolve()));
    request.on('timeout', () => request.destroy(new Error(`no data for ${this.options.idleTimeoutMs} ms`)));
    request.on('error', (err) => end(err.message));
    request.on('response', (response) => {
      if (response.statusCode !== 200) {
        end(`HTTP ${response.statusCode} ${response.statusMessage ?? ''}`.trim());
        response.resume();
        request.destroy();
        return;
      }
      this.#contentType = response.headers['content-type'];
      response.on('data', onData);
      response.on('end', () => end('the server ended the stream'));
      response.on('error', (err) => end(err.message));
    });
  }

  async close(): Promise<void> {
    this.#request?.destroy();
    await this.#closed;
  }
}

/** Largest snapshot accepted. */
const MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024;

/**
 * GET one image; `label` (the URL without credentials) names it in errors. `lookup` resolves
 * the host at connect time (a URL from a message checks the addresses it connects to). The whole
 * request must be over in `timeoutMs`: a server that trickles a byte at a time is not silent, so
 * an idle timeout alone would wait forever. `signal` aborts it (the camera closing).
 */
export function fetchImage(url: string, label: string, timeoutMs: number, lookup?: LookupFunction, signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let deadline: NodeJS.Timeout | undefined;
    const fail = (reason: string): void => {
      clearTimeout(deadline);
      reject(new EdgeAiError('snapshotFailed', { url: label, reason: redactUrl(reason) }));
    };
    if (signal?.aborted) return fail('the camera closed');
    const client = url.startsWith('https:') ? https : http;
    const request = client.get(url, { timeout: timeoutMs, signal, ...(lookup ? { lookup } : {}) }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return fail(`HTTP ${response.statusCode}`);
      }
      const parts: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_SNAPSHOT_BYTES) request.destroy(new Error(`more than ${MAX_SNAPSHOT_BYTES} bytes`));
        else parts.push(chunk);
      });
      response.on('end', () => {
        clearTimeout(deadline);
        resolve(Buffer.concat(parts));
      });
      response.on('error', (err) => fail(err.message));
    });
    deadline = setTimeout(() => request.destroy(new Error(`not complete in ${timeoutMs / 1000} s`)), timeoutMs);
    request.on('timeout', () => request.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    request.on('error', (err) => fail(signal?.aborted ? 'the camera closed' : err.message));
  });
}

/** A camera that serves one JPEG per request, polled by the frame pacer; closing aborts a request under way. */
export class SnapshotSource implements FrameSource {
  readonly #closing = new AbortController();

  constructor(readonly url: string, readonly label: string, readonly timeoutMs: number, readonly quality: number, readonly lookup?: LookupFunction) {}

  async next(): Promise<Frame> {
    return toJpegFrame(await fetchImage(this.url, this.label, this.timeoutMs, this.lookup, this.#closing.signal), this.label, this.quality);
  }

  close(): void {
    this.#closing.abort();
  }
}
