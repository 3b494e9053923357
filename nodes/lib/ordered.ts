// Work whose results must leave in the order it came: preprocess decodes images side by side on
// sharp's threads but sends them in arrival order (a small image must not overtake a large
// one); annotate draws and a camera grabs one at a time.

/** What to do with a task's result, or with its failure. */
export interface Finish<T> {
  value(result: T): void;
  error(err: unknown): void;
}

export class OrderedOutput {
  #tail: Promise<unknown> = Promise.resolve();

  /** Starts `work` at once; its finish runs after every earlier task's finish has. */
  parallel<T>(work: () => Promise<T>, finish: Finish<T>): void {
    const running = Promise.resolve().then(work);
    // Its failure is handled when its turn comes; until then Node would call it unhandled.
    running.catch(() => undefined);
    this.#chain(() => running, finish);
  }

  /** Starts `work` once every earlier task has finished: one at a time. */
  serial<T>(work: () => Promise<T>, finish: Finish<T>): void {
    this.#chain(work, finish);
  }

  /** Settles once every task added so far has finished. */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }

  #chain<T>(work: () => Promise<T>, finish: Finish<T>): void {
    this.#tail = this.#tail.then(work).then((result) => finish.value(result), (err) => finish.error(err)).catch(() => undefined);
  }
}
