// Pulls frames from a source (test pattern, files, snapshots) at a fixed rate.
import { systemClock, type Clock } from '../clock';
import type { Frame, FrameSource } from './sources';

export interface PacerEvents {
  frame(frame: Frame): void;
  error(err: unknown): void;
  /** The source has no more frames (a folder without loop). */
  end(): void;
}

/**
 * Pulls frames from a source at a fixed rate. A grab that is still running when the next one
 * is due makes that tick skip: frames are never queued behind a slow source.
 */
export class FramePacer {
  readonly #source: FrameSource;
  readonly #intervalMs: number;
  readonly #events: PacerEvents;
  readonly #clock: Clock;
  #timer: unknown;
  #running = false;

  constructor(source: FrameSource, fps: number, events: PacerEvents, clock: Clock = systemClock) {
    this.#source = source;
    this.#intervalMs = 1000 / fps;
    this.#events = events;
    this.#clock = clock;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  stop(): void {
    this.#running = false;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(delay: number): void {
    this.#timer = this.#clock.setTimeout(() => void this.#grab(), delay);
  }

  async #grab(): Promise<void> {
    const started = this.#clock.now();
    let ended = false;
    try {
      const frame = await this.#source.next();
      if (frame && this.#running) this.#events.frame(frame);
      ended = frame === undefined;
    } catch (err) {
      if (this.#running) this.#events.error(err);
    }
    if (!this.#running) return;
    if (ended) {
      this.stop();
      this.#events.end();
      return;
    }
    const elapsed = this.#clock.now() - started;
    this.#schedule(Math.max(0, this.#intervalMs - (elapsed % this.#intervalMs)));
  }
}
