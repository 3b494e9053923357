// Keeps a capture connection (an ffmpeg or rpicam-vid process, an HTTP stream) alive by the
// age of its last frame, not by how it ended: a stalled RTSP client can sit for many seconds
// and then exit 0. Restarts back off exponentially with jitter, capped, and the back-off
// resets once the stream has been healthy for a while. There is never more than one
// connection at a time: the next opens only after the last one is fully closed.
import { spawn, type ChildProcess } from 'node:child_process';
import { systemClock, type Clock } from '../clock';

/** One attempt at capturing: opened once, closed once. */
export interface Connection {
  /** Start; bytes go to onData, and onEnd is called once if it ends by itself. */
  open(onData: (chunk: Buffer) => void, onEnd: (reason: string) => void): void;
  /**
   * Stop it; resolves once it is fully gone (process exited, socket closed). `graceMs` is how
   * long a process may take to end by itself before it is killed.
   */
  close(graceMs?: number): Promise<void>;
  /** Process id, for process connections. */
  readonly pid?: number;
}

export interface ProcessSpec {
  command: string;
  args: string[];
  /** Written to the process's stdin, which is then closed: for what must not show in `ps`. */
  stdin?: string;
}

/** Lines of a child's stderr kept for error messages. */
const STDERR_LINES = 5;

/**
 * Grace for a process that stopped delivering: it is stuck in a read (ffmpeg waits out its
 * 5 s I/O timeout before it reacts to SIGTERM), so a long grace would only delay the restart.
 */
const STALLED_GRACE_MS = 200;

/**
 * A capture process in its own process group (so helpers it starts die with it), stopped with
 * SIGTERM to the group and SIGKILL after a grace time.
 */
export class ProcessConnection implements Connection {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #stderr: string[] = [];

  constructor(readonly spec: ProcessSpec, readonly killAfterMs = 2000) {}

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  open(onData: (chunk: Buffer) => void, onEnd: (reason: string) => void): void {
    const { stdin } = this.spec;
    const child = spawn(this.spec.command, this.spec.args, { detached: true, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (stdin !== undefined) {
      child.stdin?.on('error', () => undefined); // a process that exits at once closes the pipe first
      child.stdin?.end(stdin);
    }
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('close', () => resolve()));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr.push(...chunk.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean));
      this.#stderr = this.#stderr.slice(-STDERR_LINES);
    });
    child.once('error', (err) => onEnd(err.message));
    child.once('close', (code, signal) => {
      // ffmpeg says why it gave up on stderr; the exit code alone says little.
      const said = this.#stderr[this.#stderr.length - 1];
      onEnd(`${signal ? `stopped by ${signal}` : `exit code ${code}`}${said ? `: ${said}` : ''}`);
    });
  }

  async close(graceMs = this.killAfterMs): Promise<void> {
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
      const killer = setTimeout(() => signal('SIGKILL'), graceMs);
      await this.#exited;
      clearTimeout(killer);
    } else {
      await this.#exited;
    }
  }
}

export interface SupervisorOptions {
  /** Restart when no frame came for this long. */
  stallTimeoutMs: number;
  /**
   * The first frame of a connection may take this long if it is more than the stall timeout:
   * connecting, ffmpeg's probe and the wait for a keyframe can take seconds, and a camera
   * that never gets past them would otherwise be restarted forever.
   */
  firstFrameTimeoutMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** ± share of each delay drawn at random, so many cameras do not retry in step. */
  jitter: number;
  /** Streaming this long resets the back-off. */
  healthyAfterMs: number;
  random?: () => number;
  /** Time and timers (the system's by default; tests pass one they move by hand). */
  clock?: Clock;
}

export const DEFAULT_SUPERVISOR_OPTIONS: SupervisorOptions = {
  stallTimeoutMs: 10000, firstFrameTimeoutMs: 10000, initialBackoffMs: 1000, maxBackoffMs: 10000, jitter: 0.2, healthyAfterMs: 30000,
};

export type CaptureState =
  | { state: 'connecting' }
  | { state: 'streaming' }
  | { state: 'reconnecting'; delayMs: number; reason: string }
  | { state: 'closed' };

export interface SupervisorEvents {
  /** Raw bytes of the connection; the caller splits them into frames and calls frameSeen(). */
  data(chunk: Buffer): void;
  state(state: CaptureState): void;
  /** Called before each start, so a parser can drop a half-read frame. */
  restart?(): void;
}

export class CaptureSupervisor {
  readonly #connect: () => Connection;
  readonly #events: SupervisorEvents;
  readonly #options: SupervisorOptions;
  readonly #clock: Clock;
  #connection: Connection | undefined;
  #attempt = 0;
  #lastFrameAt = 0;
  #streamingSince: number | undefined;
  #watchdog: unknown;
  #retry: unknown;
  #closed = false;
  #restarting = false;
  #starts = 0;

  constructor(connect: () => Connection, events: SupervisorEvents, options: Partial<SupervisorOptions> = {}) {
    this.#connect = connect;
    this.#events = events;
    this.#options = { ...DEFAULT_SUPERVISOR_OPTIONS, ...options };
    this.#clock = options.clock ?? systemClock;
  }

  /** The open connection, if any. */
  get connection(): Connection | undefined {
    return this.#connection;
  }

  /** How many connections were opened. */
  get starts(): number {
    return this.#starts;
  }

  start(): void {
    if (this.#closed || this.#connection) return;
    this.#events.restart?.();
    const connection = this.#connect();
    this.#connection = connection;
    this.#starts++;
    this.#lastFrameAt = this.#clock.now();
    this.#streamingSince = undefined;
    this.#events.state({ state: 'connecting' });
    connection.open((chunk) => this.#events.data(chunk), (reason) => this.#restart(reason));
    this.#armWatchdog();
  }

  /** The caller saw a whole frame. */
  frameSeen(): void {
    const now = this.#clock.now();
    this.#lastFrameAt = now;
    if (this.#streamingSince === undefined) {
      this.#streamingSince = now;
      this.#armWatchdog(); // from now on the (shorter) stall timeout applies
      this.#events.state({ state: 'streaming' });
    } else if (this.#attempt && now - this.#streamingSince >= this.#options.healthyAfterMs) {
      this.#attempt = 0;
    }
  }

  /** Stop for good: no restart after this. Resolves once the connection is gone. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#clock.clearTimeout(this.#watchdog);
    this.#clock.clearTimeout(this.#retry);
    await this.#stop();
    this.#events.state({ state: 'closed' });
  }

  /** Fires when the newest frame turns stall-timeout old; frames in between push it on. */
  #armWatchdog(): void {
    this.#clock.clearTimeout(this.#watchdog);
    const { stallTimeoutMs, firstFrameTimeoutMs } = this.#options;
    const limit = (): number => (this.#streamingSince === undefined ? Math.max(stallTimeoutMs, firstFrameTimeoutMs) : stallTimeoutMs);
    this.#watchdog = this.#clock.setTimeout(() => {
      if (!this.#connection) return;
      const silentMs = this.#clock.now() - this.#lastFrameAt;
      if (silentMs >= limit()) {
        this.#restart(`no frame for ${Math.round(silentMs / 1000)} s`, STALLED_GRACE_MS);
      } else {
        this.#armWatchdog();
      }
    }, Math.max(0, this.#lastFrameAt + limit() - this.#clock.now()));
  }

  #restart(reason: string, graceMs?: number): void {
    if (this.#closed || this.#restarting) return;
    this.#restarting = true;
    this.#clock.clearTimeout(this.#watchdog);
    const { initialBackoffMs, maxBackoffMs, jitter } = this.#options;
    const base = Math.min(maxBackoffMs, initialBackoffMs * 2 ** this.#attempt);
    const delayMs = Math.round(base * (1 + jitter * (2 * (this.#options.random ?? Math.random)() - 1)));
    this.#attempt++;
    this.#stop(graceMs).then(() => {
      this.#restarting = false;
      if (this.#closed) return;
      this.#events.state({ state: 'reconnecting', delayMs, reason });
      this.#retry = this.#clock.setTimeout(() => this.start(), delayMs);
    });
  }

  async #stop(graceMs?: number): Promise<void> {
    const connection = this.#connection;
    await connection?.close(graceMs);
    if (this.#connection === connection) this.#connection = undefined;
  }
}
