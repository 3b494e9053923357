// What the edge-ai-collect node shows under itself, decided here so the adapter only draws it:
// a state change at once; per frame, progress (rate-limited by the adapter), and the byte budget
// turning frames away shown at once the first time (yellow: the folder needs a look).
import { EdgeAiError } from '../errors';
import type { Collector, FrameOutcome } from './collector';
import type { CollectEvent } from './sampler';

export interface CollectStatus {
  kind: 'working' | 'ready' | 'idle' | 'loading';
  key: string;
  params: Record<string, string | number>;
  /** Show now; otherwise a routine update the adapter may rate-limit. */
  now: boolean;
}

/** The folder comes from the node's settings only: a msg naming one is refused, not ignored. */
export function refuseFolderFromMsg(msg: { folder?: unknown; path?: unknown; collect?: unknown }, folder: string): void {
  // msg.path on a frame is left alone: on-demand file cameras set it.
  const named = msg.folder !== undefined ? 'msg.folder' : msg.collect !== undefined && msg.path !== undefined ? 'msg.path' : undefined;
  if (named) throw new EdgeAiError('collectMsgFolder', { what: named, path: folder });
}

export class CollectProgress {
  readonly #collector: Collector;
  /** Set when the byte budget turned a frame away, until a frame fits again. */
  #limitHit = false;

  constructor(collector: Collector) {
    this.#collector = collector;
  }

  state(event: CollectEvent): CollectStatus {
    this.#limitHit = false;
    const params = { kept: event.kept, count: event.count, folder: this.#collector.config.folder };
    if (event.state === 'collecting') return { kind: 'working', key: 'collecting', params, now: true };
    if (event.state === 'done') return { kind: 'ready', key: 'done', params, now: true };
    if (event.state === 'stopped') return { kind: 'idle', key: 'stopped', params, now: true };
    return { kind: 'idle', key: event.kept || event.seen ? 'idle' : 'emptied', params: {}, now: true };
  }

  /** A frame that changed no state; undefined when there is nothing to show. */
  frame(outcome: FrameOutcome, time: number): CollectStatus | undefined {
    const { sampler, config } = this.#collector;
    if (sampler.state !== 'collecting' || outcome.skipped === 'busy') return undefined;
    if (outcome.kept) this.#limitHit = false;
    const newlyHit = outcome.skipped === 'tooLarge' && !this.#limitHit;
    if (outcome.skipped === 'tooLarge') this.#limitHit = true;
    const last = sampler.lastKeptAt;
    const params = {
      kept: sampler.kept.length, count: sampler.config.count, seen: sampler.seen,
      ago: last === undefined ? 0 : Math.max(0, Math.round((time - last) / 1000)), limit: config.maxBytes / 1e6,
    };
    if (this.#limitHit) return { kind: 'loading', key: 'tooLarge', params, now: newlyHit };
    if (last === undefined) return { kind: 'working', key: 'collecting', params, now: false };
    return { kind: 'working', key: sampler.full ? 'sampling' : 'collectingKept', params, now: false };
  }
}
