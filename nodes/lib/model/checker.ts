// Every new model file is first opened and run once in a separate process (check-child.ts).
// onnxruntime parses untrusted protobufs in native code; if a hostile or broken file crashes
// it, that process dies and the model is refused, instead of the worker thread taking the whole
// Node-RED process down. One checker process serves all model nodes; it exits when idle.
import { fork, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ERROR_TEXTS, EdgeAiError, type ErrorCode } from '../errors';
import type { CheckReply, CheckRequest } from './check-child';
import type { ModelConfig } from './describe';

const CHILD_FILE = path.join(__dirname, 'check-child.js');
/** The checker process exits after this long without work. */
const IDLE_MS = 2000;
/** A check that takes longer is taken for a hang: the process is killed, the model refused. */
const CHECK_TIMEOUT_MS = 120000;
/** Marks the checker's command line (tests and ps can tell it from other children). */
export const CHECKER_FLAG = '--edge-ai-model-check';

interface Job {
  config: ModelConfig;
  resolve: () => void;
  reject: (err: Error) => void;
}

class ModelChecker {
  #child: ChildProcess | undefined;
  #stderr = '';
  readonly #queue: Job[] = [];
  #running: { id: number; job: Job; child: ChildProcess; timer: NodeJS.Timeout; timedOut: boolean } | undefined;
  #nextId = 1;
  #idle: NodeJS.Timeout | undefined;
  /** Files that passed, by path and the size and time they had then. */
  readonly #passed = new Set<string>();

  /** Resolves when the model opens and runs in the checker process; rejects with the reason otherwise. */
  async check(config: ModelConfig): Promise<void> {
    const key = await fileKey(config);
    if (key && this.#passed.has(key)) return;
    await new Promise<void>((resolve, reject) => {
      this.#queue.push({ config, resolve, reject });
      this.#pump();
    });
    if (key) this.#passed.add(key);
  }

  #pump(): void {
    if (this.#running || !this.#queue.length) return;
    clearTimeout(this.#idle);
    const job = this.#queue.shift()!;
    const child = this.#child ?? this.#start();
    const id = this.#nextId++;
    const timer = setTimeout(() => {
      if (this.#running?.id === id) this.#running.timedOut = true;
      child.kill('SIGKILL');
    }, CHECK_TIMEOUT_MS);
    this.#running = { id, job, child, timer, timedOut: false };
    // Only this job's last stderr line explains a crash.
    this.#stderr = '';
    // A closed channel reports through the callback (and the 'exit' that follows settles the job).
    child.send({ id, config: job.config } satisfies CheckRequest, (err) => { if (err) child.kill('SIGKILL'); });
  }

  #start(): ChildProcess {
    // Plain node: the checker must not inherit --inspect and the like from Node-RED.
    const child = fork(CHILD_FILE, [CHECKER_FLAG], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.#stderr = '';
    child.stderr?.on('data', (d: Buffer) => { this.#stderr = (this.#stderr + d.toString()).slice(-2000); });
    child.on('message', (reply: CheckReply) => this.#settle(reply));
    child.on('exit', (code, signal) => this.#exited(child, code, signal));
    // fork failing (EAGAIN, ENOMEM) or a send on a closed channel: no 'exit' may follow.
    child.on('error', (err) => {
      this.#stderr += `\n${err.message}`;
      child.kill('SIGKILL');
      this.#exited(child, null, null);
    });
    this.#child = child;
    return child;
  }

  #settle(reply: CheckReply): void {
    const running = this.#running;
    if (!running || reply.id !== running.id) return;
    clearTimeout(running.timer);
    this.#running = undefined;
    if (reply.ok) running.job.resolve();
    else if (reply.code && reply.code in ERROR_TEXTS) running.job.reject(new EdgeAiError(reply.code as ErrorCode, reply.params as Record<string, string>));
    else running.job.reject(new EdgeAiError('modelInvalid', { path: running.job.config.path, reason: reply.message ?? 'unknown' }));
    this.#next();
  }

  #exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child === child) this.#child = undefined;
    const running = this.#running;
    // An old process (stopped when idle, or after an error) ending says nothing about the job now running.
    if (!running || running.child !== child) return;
    clearTimeout(running.timer);
    this.#running = undefined;
    const lastLine = this.#stderr.trim().split('\n').pop() ?? '';
    const ended = running.timedOut ? `took longer than ${CHECK_TIMEOUT_MS / 1000} s and was stopped` : signal ? `signal ${signal}` : `exit code ${code}`;
    const reason = `${ended}${lastLine ? `: ${lastLine}` : ''}`;
    running.job.reject(new EdgeAiError('modelCrashed', { path: running.job.config.path, reason }));
    this.#next();
  }

  #next(): void {
    if (this.#queue.length) return this.#pump();
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.stop(), IDLE_MS);
    this.#idle.unref();
  }

  /** End the checker process now (it starts again for the next check). */
  stop(): void {
    clearTimeout(this.#idle);
    const child = this.#child;
    if (this.#running || !child) return;
    // Forgotten at once: a check arriving before it has exited starts a new process.
    this.#child = undefined;
    if (child.connected) child.disconnect();
  }
}

/** What makes a file the same file again: path, size, modification time, inode. */
async function fileKey(config: ModelConfig): Promise<string | undefined> {
  try {
    const stat = await fs.stat(config.path);
    return `${config.path}|${stat.size}|${stat.mtimeMs}|${stat.ino}|${config.unsignedInt8}|${config.tfliteSymmetricWeights}|${config.sha256 ?? ''}`;
  } catch {
    return undefined;
  }
}

export const modelChecker = new ModelChecker();
