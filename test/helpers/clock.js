'use strict';
// A clock the test moves by hand: timers fire when advance() passes their time, in time order.

class ManualClock {
  #now;
  #timers = new Map();
  #next = 1;

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now() {
    return this.#now;
  }

  setTimeout(run, ms) {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), run });
    return id;
  }

  clearTimeout(id) {
    this.#timers.delete(id);
  }

  /** Timers waiting. */
  get pending() {
    return this.#timers.size;
  }

  /** Moves time on by `ms`, firing each timer that falls due, and letting promises settle in between. */
  async advance(ms) {
    const end = this.#now + ms;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const due = [...this.#timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].run();
    }
    this.#now = end;
    await new Promise((r) => setImmediate(r));
  }
}

module.exports = { ManualClock };
