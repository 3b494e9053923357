// A label/score/count rule with start/end events, N-of-M frame debouncing, hold time and
// cooldown. Time is passed in (ms) so tests can drive it with a made-up clock.
import { EdgeAiError, describeValue } from '../errors';

export interface TriggerOptions {
  /** Labels that count; empty means any label. */
  labels: string[];
  minScore: number;
  minCount: number;
  /** At most this many (Infinity: no upper bound). */
  maxCount: number;
  /** The rule counts as true when it held in at least `framesNeeded` of the last `framesWindow` frames. */
  framesNeeded: number;
  framesWindow: number;
  /** How long the rule must stay false before `end`. */
  holdMs: number;
  /** Shortest time between two `start` events. */
  cooldownMs: number;
}

export interface ResultLike {
  label: string;
  score: number;
}

/** Check that msg.payload is what edge-ai-infer sends: an array of {label, score}. */
export function resultsOf(payload: unknown): ResultLike[] {
  if (!Array.isArray(payload)) throw new EdgeAiError('notResults', { received: describeValue(payload) });
  // Name the first result that is wrong, and what is wrong with it.
  payload.forEach((r: { label?: unknown; score?: unknown } | null, index) => {
    const wrong = !r || typeof r !== 'object' ? ['an object {label, score}', r]
      : typeof r.label !== 'string' ? ['a label (text)', r.label]
        : typeof r.score !== 'number' || !Number.isFinite(r.score) ? ['a score (a number)', r.score] : undefined;
    if (wrong) throw new EdgeAiError('badResult', { index, expected: wrong[0] as string, received: describeValue(wrong[1]) });
  });
  return payload as ResultLike[];
}

export type EventType = 'start' | 'end' | 'enter' | 'leave' | 'cross' | 'dwell' | 'count';

/** What the trigger node sends; which fields are set depends on the type. */
export interface TriggerEvent {
  type: EventType;
  time: number;
  /** start/end: distinct matching labels (at start those seen now, at end all seen while active). */
  labels?: string[];
  /** start/end: matching results in the frame; enter/leave/count: tracks now in the zone. */
  count?: number;
  maxScore?: number;
  /** end: ms since the start event. */
  duration?: number;
  /** The zone of a start/end rule limited to one, or of enter/leave/dwell/count. */
  zone?: string;
  /** cross: the line, the direction's name and the line's totals per direction so far. */
  line?: string;
  direction?: string;
  totals?: Record<string, number>;
  /** enter/leave/cross/dwell: the track. */
  trackId?: number;
  label?: string;
  /** leave/dwell: ms in the zone. */
  dwell?: number;
  /** leave: the track was lost (not seen for too long) while inside. */
  lost?: boolean;
  /** count: the count before, and the tracks now in the zone. */
  previous?: number;
  trackIds?: number[];
}

export class TriggerRule {
  readonly #options: TriggerOptions;
  readonly #wanted: Set<string>;
  #activeSince: number | undefined;
  #falseSince: number | undefined;
  #lastStart: number | undefined;
  #seenLabels = new Set<string>();
  #maxScore = 0;
  #suppressed = 0;
  /** Whether the rule held, for the last framesWindow frames (oldest first). */
  readonly #recent: boolean[] = [];

  constructor(options: TriggerOptions) {
    this.#options = options;
    this.#wanted = new Set(options.labels);
  }

  /** Whether results of this label count (all do when no labels are set). */
  wants(label: string): boolean {
    return this.#wanted.size === 0 || this.#wanted.has(label);
  }

  /** The results that count: wanted label, score high enough. */
  matching(results: readonly ResultLike[]): ResultLike[] {
    return results.filter((r) => r.score >= this.#options.minScore && this.wants(r.label));
  }

  get active(): boolean {
    return this.#activeSince !== undefined;
  }

  /** Activations that fell inside the cooldown and gave no start. */
  get suppressed(): number {
    return this.#suppressed;
  }

  /** Evaluate one frame's results; returns the event it causes, if any. */
  update(results: readonly ResultLike[], now: number): TriggerEvent | undefined {
    const matching = this.matching(results);
    const { minCount, maxCount, framesNeeded, framesWindow } = this.#options;
    this.#recent.push(matching.length >= minCount && matching.length <= maxCount);
    if (this.#recent.length > framesWindow) this.#recent.shift();
    const holds = this.#recent.filter(Boolean).length >= framesNeeded;
    if (this.#activeSince === undefined) return holds ? this.#start(matching, now) : undefined;
    if (holds) {
      this.#falseSince = undefined;
      this.#remember(matching);
      return undefined;
    }
    this.#falseSince ??= now;
    return this.#endIfHeld(now, matching.length);
  }

  /** Called by a timer when no frames arrive: ends an activation whose hold ran out. */
  tick(now: number): TriggerEvent | undefined {
    return this.#activeSince === undefined ? undefined : this.#endIfHeld(now, 0);
  }

  /** When tick() should next run, or undefined when nothing is pending. */
  nextDeadline(): number | undefined {
    return this.#activeSince !== undefined && this.#falseSince !== undefined ? this.#falseSince + this.#options.holdMs : undefined;
  }

  #start(matching: ResultLike[], now: number): TriggerEvent | undefined {
    if (this.#lastStart !== undefined && now - this.#lastStart < this.#options.cooldownMs) {
      this.#suppressed++;
      return undefined;
    }
    this.#activeSince = now;
    this.#lastStart = now;
    this.#falseSince = undefined;
    this.#seenLabels = new Set();
    this.#maxScore = 0;
    this.#remember(matching);
    return { type: 'start', labels: distinctLabels(matching), count: matching.length, maxScore: maxScore(matching), time: now };
  }

  #endIfHeld(now: number, count: number): TriggerEvent | undefined {
    if (this.#activeSince === undefined || this.#falseSince === undefined || now - this.#falseSince < this.#options.holdMs) return undefined;
    const event: TriggerEvent = {
      type: 'end', labels: [...this.#seenLabels], count, maxScore: this.#maxScore, time: now, duration: now - this.#activeSince,
    };
    this.#activeSince = undefined;
    this.#falseSince = undefined;
    return event;
  }

  #remember(matching: ResultLike[]): void {
    for (const r of matching) this.#seenLabels.add(r.label);
    this.#maxScore = Math.max(this.#maxScore, maxScore(matching));
  }
}

function distinctLabels(results: readonly ResultLike[]): string[] {
  return [...new Set(results.map((r) => r.label))];
}

function maxScore(results: readonly ResultLike[]): number {
  return results.reduce((best, r) => Math.max(best, r.score), 0);
}
