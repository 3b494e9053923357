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
