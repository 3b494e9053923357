// Small helpers shared by the Node-RED adapters (not a node file itself).
import type { Node, NodeAPI, NodeStatus } from 'node-red';
import { EdgeAiError, STATUS_TEXTS, formatText, type ErrorParams } from './lib/errors';
import { fitStatus, statusParams } from './lib/status-text';
import type { ModelLease } from './lib/model';

/** i18n namespaces of the engine's error and status texts (merged into the model node's catalog by the build). */
const ENGINE_TEXTS = '@edgeflow/node-red-edge-ai/edge-ai-model:edge-ai-model.engine.';
const ENGINE_STATUS_TEXTS = '@edgeflow/node-red-edge-ai/edge-ai-model:edge-ai-model.engineStatus.';

/** An error in the user's language, with its status line; what the engine did not make passes through. */
export interface LocalError extends Error {
  code?: string;
  /** The short form for the node's status, when the error has one. */
  statusText?: string;
}

/** The catalog's text for `key`, or `fallback` when the catalog has none. */
function translated(RED: NodeAPI, key: string, params: ErrorParams, fallback: string): string {
  const text = RED._(key, params);
  return text && text !== key ? text : fallback;
}

/** An engine error in the user's language; other errors pass through. */
export function localError(RED: NodeAPI, err: unknown): LocalError {
  if (!(err instanceof EdgeAiError)) return err instanceof Error ? err : new Error(String(err));
  const local: LocalError = new Error(translated(RED, ENGINE_TEXTS + err.code, err.params, err.message));
  local.code = err.code;
  const template = STATUS_TEXTS[err.code];
  if (template) {
    const params = statusParams(err.params);
    local.statusText = translated(RED, ENGINE_STATUS_TEXTS + err.code, params, formatText(template, params));
  }
  return local;
}

export type StatusKind = 'loading' | 'ready' | 'working' | 'error' | 'idle';

const STATUS_LOOK: Record<StatusKind, Pick<NodeStatus, 'fill' | 'shape'>> = {
  loading: { fill: 'yellow', shape: 'ring' },
  ready: { fill: 'green', shape: 'dot' },
  working: { fill: 'blue', shape: 'dot' },
  error: { fill: 'red', shape: 'ring' },
  idle: { fill: 'grey', shape: 'ring' },
};

/** Least time between two routine status updates: each one is a message to every editor. */
const STATUS_INTERVAL_MS = 1000;

/** Sets a node's status from its catalog, rate-limiting routine updates. */
export class StatusLine {
  #lastRoutine = 0;

  constructor(private readonly node: Node, private readonly RED: NodeAPI, private readonly type: string) {}

  show(kind: StatusKind, key: string, params?: Record<string, string | number>): void {
    this.node.status({ ...STATUS_LOOK[kind], text: fitStatus(this.RED._(`${this.type}.status.${key}`, params)) });
  }

  /** For per-frame updates: skipped when the last one is too recent. */
  routine(kind: StatusKind, key: string, params?: Record<string, string | number>): void {
    const now = Date.now();
    if (now - this.#lastRoutine < STATUS_INTERVAL_MS) return;
    this.#lastRoutine = now;
    this.show(kind, key, params);
  }

  /** An error under the node: its short form when it has one, fitted to one line. */
  error(err: LocalError): void {
    this.node.status({ ...STATUS_LOOK.error, text: fitStatus(err.statusText ?? err.message) });
  }

  clear(): void {
    this.node.status({});
  }
}

/** Frames per second over the last status period. */
export class RateMeter {
  #count = 0;
  #since = Date.now();
  #rate = 0;

  tick(): number {
    this.#count++;
    const elapsed = Date.now() - this.#since;
    if (elapsed >= STATUS_INTERVAL_MS) {
      this.#rate = (this.#count * 1000) / elapsed;
      this.#count = 0;
      this.#since = Date.now();
    }
    return this.#rate;
  }
}

/** On close: let go of the node's model lease, if it holds one, then tell Node-RED the node is done. */
export function releaseThen(lease: ModelLease | undefined, done: () => void): void {
  (lease ? lease.release() : Promise.resolve()).then(done, done);
}
