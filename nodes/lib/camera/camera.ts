// A camera as the camera node runs it: a pulled source (test pattern, files, snapshots) read at a
// pace or one frame per request, or a pushed capture (ffmpeg, the Pi camera app, MJPEG) whose
// newest frame goes out at a capped rate or to the next request. Frames are numbered here.
import { systemClock, type Clock } from '../clock';
import { EdgeAiError } from '../errors';
import { jpegDisplaySize } from '../image';
import { OrderedOutput } from '../ordered';
import {
  PULL_SOURCES, cameraPace, messageSource, pullSource, pushCamera, sourceKind, stallTimeoutMs,
  type CameraSettings, type Credentials, type SourceKind,
} from './capture-config';
import { FrameGate } from './gate';
import { FramePacer } from './pacer';
import type { Frame, FrameSource } from './sources';
import type { DropReason } from './mjpeg';
import type { CaptureState } from './supervisor';

/** A frame as the camera hands it out: numbered, and stamped with when it went out. */
export interface CameraFrame extends Frame {
  seq: number;
  time: number;
}

/** What a camera is doing: its capture's state, or that a pulled source is starting, waiting for requests or has finished. */
export type CameraState = CaptureState | { state: 'starting' } | { state: 'onDemand' } | { state: 'finished' };

export interface CameraEvents {
  /** A frame of a continuous camera, for a new msg. */
  frame(frame: CameraFrame): void;
  /** A continuous pulled source could not give a frame; it tries again on the next tick. */
  error(err: unknown): void;
  state(state: CameraState): void;
}

/** A supervised capture that pushes raw bytes: started once, closed once. */
export interface PushedCapture {
  start(): void;
  close(): Promise<void>;
}

/** A made capture, with what its frames say of themselves. */
export interface MadeCapture {
  capture: PushedCapture;
  /** What msg.frame.source says: a path, a URL without credentials, a device. */
  label: string;
  /** Raw RGB frames all have this size; JPEG frames carry their own. */
  raw?: { width: number; height: number };
}

/** How a capture is made: a new one on each start (a stopped one cannot start again). */
export type CaptureFactory = (events: { frame(data: Buffer): void; state(state: CaptureState): void; drop?(reason: DropReason): void }) => MadeCapture;

export type CameraSource =
  | { kind: 'pull'; source: FrameSource; sourceKind: SourceKind }
  | { kind: 'push'; make: CaptureFactory };

export interface CameraOptions {
  continuous: boolean;
  fps: number;
  /** How long a request of a pushed capture waits for a frame before it fails (default 10 s). */
  waitMs?: number;
  /** Whether a request may name its own file or URL (msg.path, msg.url); how to open it. */
  fromMessage?: (named: { path?: unknown; url?: unknown }) => Promise<FrameSource>;
  clock?: Clock;
}

/** Why a part of a stream was not a frame, in a few words for statuses and reasons. */
export const BAD_PART_TEXT: Record<DropReason, string> = {
  tooLarge: 'over the size limit', notJpeg: 'not JPEG', truncated: 'JPEG cut short', badHeaders: 'part headers without end',
};

/** Requests that may wait for a frame of a pushed capture at once; more are refused at once. */
export const MAX_WAITING = 16;
const DEFAULT_WAIT_MS = 10000;

interface Waiter {
  resolve(frame: CameraFrame): void;
  reject(err: Error): void;
  timer: unknown;
}

export class Camera {
  readonly #source: CameraSource;
  readonly #options: CameraOptions;
  readonly #events: CameraEvents;
  readonly #clock: Clock;
  /** Requests of pulled sources run one after another, so a folder is read in order. */
  readonly #grabs = new OrderedOutput();
  #seq = 0;
  #pacer: FramePacer | undefined;
  /** The reason a continuous pulled source last failed, until a frame comes: said once. */
  #failing: string | undefined;
  #gate: FrameGate<Frame> | undefined;
  #capture: MadeCapture | undefined;
  /** A pushed capture being stopped, and whether it should run (the last of "start" and "stop"). */
  #stopped: Promise<void> | undefined;
  #wanted = true;
  /** Pushed, on demand: the newest frame no request took yet, and the requests waiting for one. */
  #latest: Frame | undefined;
  #waiting: Waiter[] = [];
  /** What a capture last said was wrong: told to a request that waited in vain. */
  #lastProblem: string | undefined;
  #label = '';
  /** Parts of the stream that were not frames: how many, the last reason, and how many since the last frame. */
  #badParts = 0;
  #badReason: DropReason | undefined;
  #badSinceFrame = 0;
  #closed = false;
  /** Sources opened for one request (a file or URL from msg), until it is answered. */
  readonly #once = new Set<FrameSource>();

  /** The camera node's settings made into a camera; throws when they do not add up. */
  static fromSettings(settings: CameraSettings & { mode?: string; msgSource?: boolean }, baseDir: string, credentials: Credentials, events: CameraEvents, clock?: Clock): Camera {
    const kind = sourceKind(settings);
    const { continuous, fps } = cameraPace(settings);
    const fromMessage = settings.msgSource ? (named: { path?: unknown; url?: unknown }) => messageSource(kind, settings, baseDir, named) : undefined;
    if ((PULL_SOURCES as readonly string[]).includes(kind)) {
      const source = pullSource(kind as (typeof PULL_SOURCES)[number], settings, baseDir, credentials);
      return new Camera({ kind: 'pull', source, sourceKind: kind }, { continuous, fps, fromMessage, clock }, events);
    }
    const make: CaptureFactory = (capture) => {
      const made = pushCamera(kind as Exclude<SourceKind, (typeof PULL_SOURCES)[number]>, settings, baseDir, credentials, capture);
      return { capture: made.supervisor, label: made.label, raw: made.raw };
    };
    const waitMs = stallTimeoutMs(settings);
    const camera = new Camera({ kind: 'push', make }, { continuous, fps, clock, waitMs }, events);
    // Made now, so that settings it cannot use fail the deploy rather than the first start.
    camera.#capture = camera.#newCapture();
    return camera;
  }

  constructor(source: CameraSource, options: CameraOptions, events: CameraEvents) {
    this.#source = source;
    this.#options = options;
    this.#events = events;
    this.#clock = options.clock ?? systemClock;
    if (!options.continuous) return;
    if (source.kind === 'pull') {
      this.#pacer = new FramePacer(source.source, options.fps, {
        frame: (frame) => {
          this.#failing = undefined;
          this.#events.frame(this.#stamp(frame));
        },
        // Said once while it lasts: a missing file at 5 fps is one problem, not 300 a minute.
        // Said again when the reason changes or after a frame came in between.
        error: (err) => {
          const reason = err instanceof Error ? err.message : String(err);
          if (reason === this.#failing) return;
          this.#failing = reason;
          this.#events.error(err);
        },
        end: () => this.#events.state({ state: 'finished' }),
      }, this.#clock);
    } else {
      this.#gate = new FrameGate<Frame>(options.fps, (frame) => this.#events.frame(this.#stamp(frame)), this.#clock);
    }
  }

  get continuous(): boolean {
    return this.#options.continuous;
  }

  /** Whether frames are pushed by a capture (rather than pulled from a source on request). */
  get pushed(): boolean {
    return this.#source.kind === 'push';
  }

  /** Frames a continuous pushed camera skipped because a newer one came before it could go out. */
  get skipped(): number {
    return this.#gate?.skipped ?? 0;
  }

  /** Parts of an MJPEG stream that were not frames so far, with the last reason. */
  get badParts(): { count: number; reason?: DropReason } {
    return { count: this.#badParts, reason: this.#badReason };
  }

  /** Frames handed out so far. */
  get count(): number {
    return this.#seq;
  }

  /** Begins: a continuous camera sends frames; a pushed one starts its capture. */
  start(): void {
    if (this.#pacer) {
      this.#events.state({ state: 'starting' });
      this.#pacer.start();
    } else if (this.#source.kind === 'push') {
      this.#capture ??= this.#newCapture();
      this.#capture.capture.start();
    } else {
      this.#events.state({ state: 'onDemand' });
    }
  }

  /** A continuous camera's "start" and "stop"; the command it took, or undefined for anything else. */
  command(payload: unknown): 'start' | 'stop' | undefined {
    if (!this.continuous || (payload !== 'start' && payload !== 'stop')) return undefined;
    if (this.#pacer) {
      if (payload === 'stop') this.#pacer.stop();
      else this.#pacer.start();
      // Started again by hand: a failure that lasts is said again, once.
      this.#failing = undefined;
      return payload;
    }
    this.#wanted = payload === 'start';
    if (payload === 'stop' && this.#capture) {
      this.#stopped = this.#capture.capture.close();
      this.#capture = undefined;
    } else if (payload === 'start') {
      // The old capture must be gone before a new one starts.
      (this.#stopped ?? Promise.resolve()).then(() => {
        if (!this.#closed && this.#wanted && !this.#capture) this.start();
      });
    }
    return payload;
  }

  /**
   * The frame for a request: the next of a pulled source (requests in order), or from the file or
   * URL the request names when allowed; the newest of a pushed capture, or the next to come
   * within the wait (then an error that says why none came; more than MAX_WAITING waiting
   * requests are refused at once). Undefined when a pulled source has no more frames.
   */
  grab(named: { path?: unknown; url?: unknown } = {}): Promise<CameraFrame | undefined> {
    if (this.#source.kind === 'push') {
      const latest = this.#latest;
      this.#latest = undefined;
      if (latest) return Promise.resolve(this.#stamp(latest));
      if (this.#closed) return Promise.reject(new EdgeAiError('cameraClosed', { source: this.#label }));
      if (this.#waiting.length >= MAX_WAITING) {
        return Promise.reject(new EdgeAiError('tooManyWaiting', { count: this.#waiting.length, source: this.#label }));
      }
      return new Promise((resolve, reject) => {
        const waitMs = this.#options.waitMs ?? DEFAULT_WAIT_MS;
        const waiter: Waiter = {
          resolve, reject,
          timer: this.#clock.setTimeout(() => {
            this.#waiting = this.#waiting.filter((w) => w !== waiter);
            reject(new EdgeAiError('frameTimeout', { source: this.#label, seconds: waitMs / 1000, reason: this.#lastProblem ?? 'none came' }));
          }, waitMs),
        };
        this.#waiting.push(waiter);
      });
    }
    const pulled = this.#source.source;
    const fromMessage = named.path !== undefined || named.url !== undefined;
    if (fromMessage && !this.#options.fromMessage) {
      return Promise.reject(new EdgeAiError('msgSourceOff', { what: named.url !== undefined ? 'msg.url' : 'msg.path' }));
    }
    return new Promise((resolve, reject) => this.#grabs.serial(async () => {
      if (!fromMessage) return pulled.next();
      const once = await this.#options.fromMessage!(named);
      // Closed with the camera too: a snapshot under way is aborted, not left open.
      this.#once.add(once);
      try {
        return await once.next();
      } finally {
        this.#once.delete(once);
        once.close();
      }
    }, { value: (frame) => resolve(frame && this.#stamp(frame)), error: reject }));
  }

  /** Stops for good; requests still waiting fail with cameraClosed. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#pacer?.stop();
    this.#gate?.close();
    if (this.#source.kind === 'pull') this.#source.source.close();
    for (const once of this.#once) once.close();
    for (const waiter of this.#waiting.splice(0)) {
      this.#clock.clearTimeout(waiter.timer);
      waiter.reject(new EdgeAiError('cameraClosed', { source: this.#label }));
    }
    await Promise.all([this.#stopped, this.#capture?.capture.close()]);
  }

  #newCapture(): MadeCapture {
    const source = this.#source as Extract<CameraSource, { kind: 'push' }>;
    const made: MadeCapture = source.make({
      frame: (data) => this.#pushed(data, made),
      state: (state) => {
        // A stream whose parts were all refused stalls: the stall's reason says why.
        const said = state.state === 'reconnecting' && this.#badSinceFrame
          ? { ...state, reason: `${state.reason}; ${this.#badSinceFrame} parts were not frames (${BAD_PART_TEXT[this.#badReason!]})` }
          : state;
        if (said.state === 'reconnecting') this.#lastProblem = said.reason;
        else if (said.state === 'streaming') this.#lastProblem = undefined;
        if (!this.#closed) this.#events.state(said);
      },
      drop: (reason) => {
        this.#badParts++;
        this.#badSinceFrame++;
        this.#badReason = reason;
      },
    });
    this.#label = made.label;
    return made;
  }

  /** A pushed frame: to the rate gate (continuous), or to a waiting request, or kept for the next. */
  #pushed(data: Buffer, capture: MadeCapture): void {
    // A capture delivers until its process has exited; a closed camera hands out nothing more.
    if (this.#closed) return;
    this.#badSinceFrame = 0;
    const size = capture.raw ?? jpegDisplaySize(data);
    const frame: Frame = { data, width: size?.width ?? 0, height: size?.height ?? 0, source: capture.label, format: capture.raw ? 'rgb' : 'jpeg' };
    if (this.#gate) return this.#gate.offer(frame);
    const waiting = this.#waiting.splice(0);
    if (!waiting.length) {
      this.#latest = frame;
      return;
    }
    for (const waiter of waiting) {
      this.#clock.clearTimeout(waiter.timer);
      waiter.resolve(this.#stamp(frame));
    }
  }

  #stamp(frame: Frame): CameraFrame {
    return { ...frame, seq: ++this.#seq, time: this.#clock.now() };
  }
}
