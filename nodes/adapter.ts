// Small helpers shared by the Node-RED adapters (not a node file itself).
import type { Node, NodeAPI, NodeStatus } from 'node-red';
import { EdgeAiError } from './lib/errors';

/** i18n namespace of the engine's error texts (merged into the model node's catalog by the build). */
const ENGINE_TEXTS = '@edgeflow/node-red-edge-ai/edge-ai-model:edge-ai-model.engine.';

/** An engine error in the user's language; other errors pass through. */
export function localError(RED: NodeAPI, err: unknown): Error {
  if (!(err instanceof EdgeAiError)) return err instanceof Error ? err : new Error(String(err));
  const key = ENGINE_TEXTS + err.code;
  const text = RED._(key, err.params);
  const local = new Error(text && text !== key ? text : err.message);
  return Object.assign(local, { code: err.code });
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
    this.node.status({ ...STATUS_LOOK[kind], text: this.RED._(`${this.type}.status.${key}`, params) });
  }

  /** For per-frame updates: skipped when the last one is too recent. */
  routine(kind: StatusKind, key: string, params?: Record<string, string | number>): void {
    const now = Date.now();
    if (now - this.#lastRoutine < STATUS_INTERVAL_MS) return;
    this.#lastRoutine = now;
    this.show(kind, key, params);
  }

  error(err: Error): void {
    this.node.status({ ...STATUS_LOOK.error, text: err.message.length > 60 ? `${err.message.slice(0, 57)}...` : err.message });
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
