// The work in front of a model: the waiting queue (live: latest frame wins; batch: bounded FIFO)
// and the pump that keeps a set number of runs in flight and starts the next as one finishes.
import { EdgeAiError } from '../errors';

export type QueueMode = 'live' | 'batch';

/**
 * Waiting work in front of a model. Live: one slot, a newer item replaces the waiting one
 * (latest frame wins). Batch: a bounded FIFO that refuses items when full.
 */
export class WaitingQueue<T> {
  readonly #items: T[] = [];
  #dropped = 0;

  constructor(readonly mode: QueueMode, readonly capacity: number) {}

  /** Adds an item; returns the item it pushed out (live), throws queueFull (batch). */
  push(item: T): T | undefined {
    if (this.mode === 'live') {
      const replaced = this.#items.shift();
      this.#items.push(item);
      if (replaced !== undefined) this.#dropped++;
      return replaced;
    }
    if (this.#items.length >= this.capacity) throw new EdgeAiError('queueFull', { size: this.#items.length });
    this.#items.push(item);
    return undefined;
  }

  shift(): T | undefined {
    return this.#items.shift();
  }

  /** Empties the queue, returning what waited. */
  drain(): T[] {
    return this.#items.splice(0);
  }

  get length(): number {
    return this.#items.length;
  }

  get dropped(): number {
    return this.#dropped;
  }
}

/**
 * Jobs for one model: at most `maxInFlight` run at once, the others wait in a WaitingQueue.
 * Nothing runs before start() (the model is still loading); jobs wait by the queue's rules.
 */
export class InferencePump<T> {
  readonly #queue: WaitingQueue<T>;
  /**
   * Batch mode keeps a second job waiting in the worker, so the model never idles while a
   * result travels back; live mode sends one at a time, so a newer frame can still replace
   * the waiting one.
   */
  readonly #maxInFlight: number;
  #run: ((job: T) => Promise<void>) | undefined;
  #inFlight = 0;
  #closed = false;

  constructor(readonly mode: QueueMode, capacity: number) {
    this.#queue = new WaitingQueue<T>(mode, capacity);
    this.#maxInFlight = mode === 'batch' ? 2 : 1;
  }

  /** Frames replaced while waiting (live mode). */
  get dropped(): number {
    return this.#queue.dropped;
  }

  /** Queues a job; returns the job it replaced (live), throws queueFull (batch). */
  push(job: T): T | undefined {
    const replaced = this.#queue.push(job);
    this.#pump();
    return replaced;
  }

  /** From now on, run jobs with `run`; its promise settles when the job is done either way. */
  start(run: (job: T) => Promise<void>): void {
    this.#run = run;
    this.#pump();
  }

  /** Runs nothing more; returns the jobs that were waiting. */
  close(): T[] {
    this.#closed = true;
    return this.#queue.drain();
  }

  #pump(): void {
    const run = this.#run;
    while (run && !this.#closed && this.#inFlight < this.#maxInFlight) {
      const job = this.#queue.shift();
      if (job === undefined) return;
      this.#inFlight++;
      run(job).catch(() => undefined).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }
}
