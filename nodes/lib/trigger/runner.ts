// The trigger as a node runs it: the engine made from the node's settings, rules replaced from
// a msg (checked in full before the swap, so a bad set leaves the running rules alone), and the
// timer that sends an end when no frame comes to do it (a camera stopped while a rule was active).
import { systemClock, type Clock } from '../clock';
import { EdgeAiError } from '../errors';
import { TriggerEngine, rulesFromMessage, triggerConfigFrom, type FrameResult, type FrameSize, type TriggerSettings } from './engine';
import { resultsOf, type TriggerEvent } from './rule';

export interface RunnerOptions {
  /** Whether msg.rules may replace the settings. */
  msgRules: boolean;
  /** An end that fell due while no frame came. */
  timedEvent(event: TriggerEvent, engine: TriggerEngine): void;
  clock?: Clock;
}

export class TriggerRunner {
  readonly #options: RunnerOptions;
  readonly #clock: Clock;
  #settings: TriggerSettings;
  #engine: TriggerEngine | undefined;
  /** Why there is no engine: the node's settings do not add up (until a msg.rules puts them right). */
  #setupError: unknown;
  #timer: unknown;

  constructor(settings: TriggerSettings, options: RunnerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#settings = settings;
    try {
      this.#engine = new TriggerEngine(triggerConfigFrom(settings));
    } catch (err) {
      this.#setupError = err;
    }
  }

  /** The engine, or undefined while the settings are bad. */
  get engine(): TriggerEngine | undefined {
    return this.#engine;
  }

  get setupError(): unknown {
    return this.#setupError;
  }

  /** One frame's results (msg.payload as it came), at the frame's time. */
  update(payload: unknown, size: FrameSize | undefined, time: number): FrameResult {
    const engine = this.#engine;
    if (!engine) throw this.#setupError;
    const result = engine.update(resultsOf(payload), size, time);
    this.#arm(engine);
    return result;
  }

  /**
   * New rules (msg.rules as it came) over the current settings; throws, and changes nothing, when
   * not allowed or not a valid rule set. Counts and track IDs go on (see TriggerEngine.continueFrom).
   */
  changeRules(rules: unknown): TriggerEngine {
    if (!this.#options.msgRules) throw new EdgeAiError('msgRulesOff');
    const next = { ...this.#settings, ...rulesFromMessage(rules) };
    const replacement = new TriggerEngine(triggerConfigFrom(next));
    if (this.#engine) replacement.continueFrom(this.#engine);
    this.#settings = next;
    this.#engine = replacement;
    this.#setupError = undefined;
    this.#clock.clearTimeout(this.#timer);
    return replacement;
  }

  close(): void {
    this.#clock.clearTimeout(this.#timer);
  }

  /** An end can fall due while no frames arrive: a timer sends it then. */
  #arm(engine: TriggerEngine): void {
    this.#clock.clearTimeout(this.#timer);
    const deadline = engine.nextDeadline();
    if (deadline === undefined) return;
    this.#timer = this.#clock.setTimeout(() => {
      const event = engine.tick(this.#clock.now());
      // Timers may fire a millisecond before the clock says the hold is over: try again then.
      if (!event) return this.#arm(engine);
      this.#options.timedEvent(event, engine);
    }, Math.max(0, deadline - this.#clock.now()));
  }
}
