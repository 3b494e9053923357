// Backpressure for cameras that push frames: never queue for a slow flow. Only the newest
// frame is kept; at most `fps` frames a second go out; frames replaced while waiting are counted.
import { systemClock, type Clock } from '../clock';

export class FrameGate<T> {
  readonly #intervalMs: number;
  readonly #emit: (frame: T) => void;
  #pending: T | undefined;
  #lastEmit = -Infinity;
  readonly #clock: Clock;
  #timer: unknown;
  #skipped = 0;
  #closed = false;

  constructor(fps: number, emit: (frame: T) => void, clock: Clock = systemClock) {
    this.#intervalMs = 1000 / fps;
    this.#emit = emit;
    this.#clock = clock;
  }

  /** Frames that were replaced by a newer one before they could go out. */
  get skipped(): number {
    return this.#skipped;
  }

  offer(frame: T): void {
    // A closed gate lets nothing out: a frame still on its way must not leave a timer behind
    // that sends from a node that is gone (a capture delivers until its process has exited).
    if (this.#closed) return;
    if (this.#pending !== undefined) this.#skipped++;
    this.#pending = frame;
    const wait = this.#lastEmit + this.#intervalMs - this.#clock.now();
    if (wait <= 0) this.#flush();
    else this.#timer ??= this.#clock.setTimeout(() => this.#flush(), wait);
  }

  close(): void {
    this.#closed = true;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
  }

  #flush(): void {
    this.#timer = undefined;
    const frame = this.#pending;
    if (frame === undefined) return;
    this.#pending = undefined;
    this.#lastEmit = this.#clock.now();
    this.#emit(frame);
  }
}
