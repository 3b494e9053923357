// Runs a capture process (ffmpeg, rpicam-vid) and keeps it alive by the age of its last
// frame, not by its exit code: a stalled RTSP client can sit for many seconds and then exit 0.
// Restarts back off exponentially with jitter, capped, and the back-off resets once the
// stream has been healthy for a while. The child runs in its own process group so the whole
// group is stopped (SIGTERM, then SIGKILL), and there is never more than one child at a time.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ProcessSpec {
  command: string;
  args: string[];
}

export interface SupervisorOptions {
  /** Restart when no frame came for this long (also the limit for the first frame). */
  stallTimeoutMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** ± share of each delay drawn at random, so many cameras do not retry in step. */
  jitter: number;
  /** Streaming this long resets the back-off. */
  healthyAfterMs: number;
  /** Grace between SIGTERM and SIGKILL. */
  killAfterMs: number;
  random?: () => number;
}

export const DEFAULT_SUPERVISOR_OPTIONS: SupervisorOptions = {
  stallTimeoutMs: 10000, initialBackoffMs: 1000, maxBackoffMs: 30000, jitter: 0.2, healthyAfterMs: 30000, killAfterMs: 2000,
};

export type CaptureState =
  | { state: 'connecting' }
  | { state: 'streaming' }
  | { state: 'reconnecting'; delayMs: number; reason: string }
  | { state: 'closed' };

export interface SupervisorEvents {
  /** Raw stdout of the child; the caller splits it into frames and calls frameSeen(). */
  data(chunk: Buffer): void;
  state(state: CaptureState): void;
  /** Called before each start, so a parser can drop a half-read frame. */
  restart?(): void;
}

/** Lines of the child's stderr kept for error messages. */
const STDERR_LINES = 5;

export class CaptureSupervisor {
  readonly #spec: () => ProcessSpec;
  readonly #events: SupervisorEvents;
  readonly #options: SupervisorOptions;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #attempt = 0;
  #lastFrameAt = 0;
  #streamingSince: number | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  #restarting = false;
  #stderr: string[] = [];
  #starts = 0;

  constructor(spec: () => ProcessSpec, events: SupervisorEvents, options: Partial<SupervisorOptions> = {}) {
    this.#spec = spec;
    this.#events = events;
    this.#options = { ...DEFAULT_SUPERVISOR_OPTIONS, ...options };
  }

  /** Process id of the running child, if any. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** How many times a child was started. */
  get starts(): number {
    return this.#starts;
  }

  /** The last lines the child wrote to stderr. */
  get stderr(): string[] {
    return [...this.#stderr];
  }

  start(): void {
    if (this.#closed || this.#child) return;
    this.#events.restart?.();
    const { command, args } = this.#spec();
    this.#starts++;
    this.#lastFrameAt = Date.now();
    this.#streamingSince = undefined;
    this.#events.state({ state: 'connecting' });
    // detached: a process group of its own, so a shell or helper it starts dies with it.
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('close', () => resolve()));
    child.stdout?.on('data', (chunk: Buffer) => this.#events.data(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr.push(...chunk.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean));
      this.#stderr = this.#stderr.slice(-STDERR_LINES);
    });
    child.once('error', (err) => this.#restart(err.message));
    child.once('close', (code, signal) => {
      if (this.#child === child) this.#child = undefined;
      this.#restart(signal ? `stopped by ${signal}` : `exit code ${code}`);
    });
    clearInterval(this.#watchdog);
    this.#watchdog = setInterval(() => this.#checkAge(), Math.max(50, this.#options.stallTimeoutMs / 4));
  }

  /** The caller saw a whole frame. */
  frameSeen(): void {
    const now = Date.now();
    this.#lastFrameAt = now;
    if (this.#streamingSince === undefined) {
      this.#streamingSince = now;
      this.#events.state({ state: 'streaming' });
    } else if (this.#attempt && now - this.#streamingSince >= this.#options.healthyAfterMs) {
      this.#attempt = 0;
    }
  }

  /** Stop for good: no restart after this. Resolves once the child has exited. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#watchdog);
    clearTimeout(this.#retry);
    await this.#stop();
    this.#events.state({ state: 'closed' });
  }

  #checkAge(): void {
    if (this.#child && Date.now() - this.#lastFrameAt > this.#options.stallTimeoutMs) {
      this.#restart(`no frame for ${Math.round((Date.now() - this.#lastFrameAt) / 1000)} s`);
    }
  }

  #restart(reason: string): void {
    if (this.#closed || this.#restarting) return;
    this.#restarting = true;
    clearInterval(this.#watchdog);
    const { initialBackoffMs, maxBackoffMs, jitter } = this.#options;
    const base = Math.min(maxBackoffMs, initialBackoffMs * 2 ** this.#attempt);
    const delayMs = Math.round(base * (1 + jitter * (2 * (this.#options.random ?? Math.random)() - 1)));
    this.#attempt++;
    this.#stop().then(() => {
      this.#restarting = false;
      if (this.#closed) return;
      this.#events.state({ state: 'reconnecting', delayMs, reason });
      this.#retry = setTimeout(() => this.start(), delayMs);
    });
  }

  /** SIGTERM to the whole group, SIGKILL after the grace time; resolves when it is gone. */
  async #stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null && child.pid) {
      const group = -child.pid;
      const signal = (name: NodeJS.Signals): void => {
        try {
          process.kill(group, name);
        } catch {
          // Already gone.
        }
      };
      signal('SIGTERM');
      const killer = setTimeout(() => signal('SIGKILL'), this.#options.killAfterMs);
      await this.#exited;
      clearTimeout(killer);
    } else {
      await this.#exited;
    }
    this.#child = undefined;
  }
}
