// The watch after an update: for the first minutes a new model serves, its runs are counted, and
// when too many fail (the rate over the runs so far, once there are enough to judge) the
// previous version comes back. A load failure rolls back at once; the caller says so.
export interface RollbackPolicy {
  /** How long after the switch failures count (ms). */
  windowMs: number;
  /** Failed share of runs that rolls back, 0..1. */
  maxErrorRate: number;
  /** Runs needed before the rate is judged (one early failure is not a trend). */
  minRuns: number;
}

export const DEFAULT_ROLLBACK_POLICY: RollbackPolicy = { windowMs: 10 * 60000, maxErrorRate: 0.2, minRuns: 20 };

export class RollbackWatch {
  readonly #policy: RollbackPolicy;
  readonly #now: () => number;
  #started: number | undefined;
  #runs = 0;
  #failures = 0;

  constructor(policy: RollbackPolicy = DEFAULT_ROLLBACK_POLICY, now: () => number = Date.now) {
    if (!(policy.windowMs >= 0) || !(policy.maxErrorRate >= 0 && policy.maxErrorRate <= 1) || !(policy.minRuns >= 1)) {
      throw new Error(`rollback policy needs windowMs >= 0, maxErrorRate 0..1 and minRuns >= 1, not ${JSON.stringify(policy)}`);
    }
    this.#policy = policy;
    this.#now = now;
  }

  /** A new version started serving: its window opens. */
  start(): void {
    this.#started = this.#now();
    this.#runs = 0;
    this.#failures = 0;
  }

  get watching(): boolean {
    return this.#started !== undefined && this.#now() - this.#started < this.#policy.windowMs;
  }

  /**
   * One run's outcome. Returns the reason to roll back, once, when the failure rate crosses the
   * policy's inside the window; the window then closes.
   */
  record(ok: boolean): string | undefined {
    if (!this.watching) {
      this.#started = undefined;
      return undefined;
    }
    this.#runs++;
    if (!ok) this.#failures++;
    if (this.#runs < this.#policy.minRuns || this.#failures / this.#runs <= this.#policy.maxErrorRate) return undefined;
    const minutes = ((this.#now() - this.#started!) / 60000).toFixed(1);
    this.#started = undefined;
    return `${this.#failures} of ${this.#runs} runs failed in the ${minutes} min after the update (more than ${Math.round(this.#policy.maxErrorRate * 100)} %)`;
  }
}
