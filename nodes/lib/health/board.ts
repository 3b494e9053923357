// The runtime's health as a container check or a Kubernetes probe reads it: each model and
// camera node reports here, and the board says, for a given moment, which of them is failing.
import { systemClock, type Clock } from '../clock';
import { messageOf } from '../errors';

export type HealthStatus = 'ok' | 'starting' | 'failing';

/** What went wrong last, and when. */
export interface LastError {
  message: string;
  at: number;
}

export interface ModelHealth {
  id: string;
  name: string;
  state: 'loading' | 'ready' | 'failed';
  status: HealthStatus;
  lastError?: LastError;
  /** With an int8 candidate: which of the two it serves, and why. */
  serving?: { precision: 'int8' | 'fp32'; reason: string };
  /** With signed updates: the version serving and the last update's result (what the status topic says). */
  update?: object;
}

export interface CameraHealth {
  id: string;
  name: string;
  /** What the camera says it is doing (streaming, reconnecting, onDemand, finished, stopped...). */
  state: string;
  status: HealthStatus;
  frames: number;
  /** Milliseconds since the newest frame; absent before the first. */
  frameAgeMs?: number;
  /** How old the newest frame may be before a camera that should stream counts as failing. */
  maxFrameAgeMs: number;
  /** Frames skipped and stream parts that were not frames. */
  drops: number;
  lastError?: LastError;
  /** Why the status is not ok, in a few words. */
  reason?: string;
}

export interface HealthReport {
  status: HealthStatus;
  models: ModelHealth[];
  cameras: CameraHealth[];
}

/** A model node's line on the board. Releasing it twice is harmless. */
export interface ModelEntry {
  ready(): void;
  failed(err: unknown): void;
  /** An error that did not stop the model (a reload that failed, the old model kept). */
  warned(err: unknown): void;
  /** Which of an fp32 model and its int8 candidate it serves, and why. */
  serving(precision: 'int8' | 'fp32', reason: string): void;
  /** The update state the model's status topic publishes. */
  update(status: object): void;
  release(): void;
}

/** How a camera is expected to give frames. */
export interface CameraExpectation {
  /** Frames come by themselves (a continuous camera); otherwise only on request. */
  continuous: boolean;
  maxFrameAgeMs: number;
}

/** A camera node's line on the board. Releasing it twice is harmless. */
export interface CameraEntry {
  state(state: string): void;
  frame(): void;
  /** A request or a capture failed. */
  failed(err: unknown): void;
  /** Running totals of frames lost (skipped or not frames). */
  drops(count: number): void;
  /** A continuous camera told to stop (false) or start again (true). */
  running(running: boolean): void;
  release(): void;
}

/**
 * States of a camera in which no frames are expected, so an old frame is not a fault; "failed"
 * is a camera whose settings could not be used.
 */
const RESTING = new Set(['finished', 'stopped', 'closed']);

interface ModelLine { id: string; name: string; state: ModelHealth['state']; lastError?: LastError; serving?: ModelHealth['serving']; update?: object }
interface CameraLine extends CameraExpectation {
  id: string; name: string; state: string; frames: number; lastFrameAt?: number; drops: number; lastError?: LastError;
  /** Since when frames are due: the start, or the last "start" command. */
  dueSince: number;
  running: boolean;
}


/**
 * A camera that should stream is failing once its newest frame (or, before the first, its start)
 * is older than its limit; a camera on request is failing when its latest request failed.
 */
function cameraHealth(line: CameraLine, now: number): CameraHealth {
  const frameAgeMs = line.lastFrameAt === undefined ? undefined : now - line.lastFrameAt;
  let status: HealthStatus = 'ok';
  let reason: string | undefined;
  if (line.state === 'failed') {
    status = 'failing';
    reason = 'the camera could not be set up';
  } else if (line.continuous && line.running && !RESTING.has(line.state)) {
    const age = now - (line.lastFrameAt ?? line.dueSince);
    if (age > line.maxFrameAgeMs) {
      status = 'failing';
      reason = line.lastFrameAt === undefined
        ? `no frame in ${Math.round(age / 1000)} s since the start`
        : `newest frame ${Math.round(age / 1000)} s old (limit ${Math.round(line.maxFrameAgeMs / 1000)} s)`;
    } else if (line.lastFrameAt === undefined) {
      status = 'starting';
    }
  } else if (!line.continuous && line.lastError && line.lastError.at >= (line.lastFrameAt ?? -Infinity)) {
    status = 'failing';
    reason = 'the latest request failed';
  }
  if (status === 'failing' && line.lastError) reason = `${reason}: ${line.lastError.message}`;
  return {
    id: line.id, name: line.name, state: line.running ? line.state : 'stopped', status, frames: line.frames, frameAgeMs,
    maxFrameAgeMs: line.maxFrameAgeMs, drops: line.drops, lastError: line.lastError, reason,
  };
}

function modelHealth(line: ModelLine): ModelHealth {
  const status: HealthStatus = line.state === 'ready' ? 'ok' : line.state === 'loading' ? 'starting' : 'failing';
  return { id: line.id, name: line.name, state: line.state, status, lastError: line.lastError, ...(line.serving ? { serving: line.serving } : {}), ...(line.update ? { update: line.update } : {}) };
}

/** The worst of the statuses: failing over starting over ok. */
function worst(statuses: HealthStatus[]): HealthStatus {
  if (statuses.includes('failing')) return 'failing';
  return statuses.includes('starting') ? 'starting' : 'ok';
}

export class HealthBoard {
  readonly #clock: Clock;
  readonly #models = new Map<object, ModelLine>();
  readonly #cameras = new Map<object, CameraLine>();

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  model(id: string, name: string): ModelEntry {
    const key = {};
    const line: ModelLine = { id, name, state: 'loading' };
    this.#models.set(key, line);
    const now = (): number => this.#clock.now();
    return {
      ready: () => { line.state = 'ready'; },
      failed: (err) => { line.state = 'failed'; line.lastError = { message: messageOf(err), at: now() }; },
      warned: (err) => { line.lastError = { message: messageOf(err), at: now() }; },
      serving: (precision, reason) => { line.serving = { precision, reason }; },
      update: (status) => { line.update = status; },
      release: () => { this.#models.delete(key); },
    };
  }

  camera(id: string, name: string, expectation: CameraExpectation): CameraEntry {
    const key = {};
    const line: CameraLine = { id, name, ...expectation, state: 'starting', frames: 0, drops: 0, dueSince: this.#clock.now(), running: true };
    this.#cameras.set(key, line);
    const now = (): number => this.#clock.now();
    return {
      state: (state) => { line.state = state; },
      frame: () => {
        line.frames += 1;
        line.lastFrameAt = now();
        // Pulled sources say no "streaming" of their own.
        if (line.state === 'starting') line.state = 'streaming';
      },
      failed: (err) => { line.lastError = { message: messageOf(err), at: now() }; },
      drops: (count) => { line.drops = count; },
      running: (running) => {
        // Frames before a stop say nothing of the capture after the start.
        if (running && !line.running) {
          line.dueSince = now();
          line.lastFrameAt = undefined;
        }
        line.running = running;
      },
      release: () => { this.#cameras.delete(key); },
    };
  }

  report(): HealthReport {
    const now = this.#clock.now();
    const models = [...this.#models.values()].map(modelHealth);
    const cameras = [...this.#cameras.values()].map((line) => cameraHealth(line, now));
    return { status: worst([...models, ...cameras].map((part) => part.status)), models, cameras };
  }
}
