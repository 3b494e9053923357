// Backpressure for cameras that push frames: never queue for a slow flow. Only the newest
// frame is kept; at most `fps` frames a second go out; frames replaced while waiting are counted.

export class FrameGate<T> {
  readonly #intervalMs: number;
  readonly #emit: (frame: T) => void;
  #pending: T | undefined;
  #lastEmit = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  #skipped = 0;

  constructor(fps: number, emit: (frame: T) => void) {
    this.#intervalMs = 1000 / fps;
    this.#emit = emit;
  }

  /** Frames that were replaced by a newer one before they could go out. */
  get skipped(): number {
    return this.#skipped;
  }

  offer(frame: T): void {
    if (this.#pending !== undefined) this.#skipped++;
    this.#pending = frame;
    const wait = this.#lastEmit + this.#intervalMs - Date.now();
    if (wait <= 0) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), wait);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
  }

  #flush(): void {
    this.#timer = undefined;
    const frame = this.#pending;
    if (frame === undefined) return;
    this.#pending = undefined;
    this.#lastEmit = Date.now();
    this.#emit(frame);
  }
}
