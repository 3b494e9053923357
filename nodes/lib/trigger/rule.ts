// A label/score/count rule with start/end events, hold time and cooldown. Time is passed
// in (ms) so tests can drive it with a made-up clock.
import { EdgeAiError, describeValue } from '../errors';

export interface TriggerOptions {
  /** Labels that count; empty means any label. */
  labels: string[];
  minScore: number;
  minCount: number;
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
  const valid = Array.isArray(payload) && payload.every((r) => r && typeof r.label === 'string' && typeof r.score === 'number');
  if (!valid) throw new EdgeAiError('notResults', { received: describeValue(payload) });
  return payload as ResultLike[];
}

export interface TriggerEvent {
  type: 'start' | 'end';
  /** Distinct matching labels: at start those seen now, at end all seen while active. */
  labels: string[];
  count: number;
  maxScore: number;
  time: number;
  /** end only: ms since the start event. */
  duration?: number;
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

  constructor(options: TriggerOptions) {
    this.#options = options;
    this.#wanted = new Set(options.labels);
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
    const matching = results.filter((r) => r.score >= this.#options.minScore && (this.#wanted.size === 0 || this.#wanted.has(r.label)));
    const holds = matching.length >= this.#options.minCount;
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
