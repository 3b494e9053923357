// HTTP capture connections: a long-lived MJPEG stream, or one snapshot request.
import * as http from 'node:http';
import * as https from 'node:https';
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
