// The collect node's engine as the node runs it: commands (start, stop, reset) and frames in,
// one at a time, the sampler deciding and the folder storing; what happened out, for the
// node's status and its second output.
import { EdgeAiError, describeValue } from '../errors';
import type { FrameInfo } from '../image';
import { claimFolder, FrameFolder } from './folder';
import { checkImage, frameImage } from './frame-image';
import { Sampler, type CollectConfig, type CollectEvent, type KeptFrame, type Skip } from './sampler';

export type CollectCommand = 'start' | 'stop' | 'reset';
const COMMANDS: readonly CollectCommand[] = ['start', 'stop', 'reset'];

/** msg.collect as it came, checked: one of the commands. */
export function collectCommand(value: unknown): CollectCommand {
  if (!COMMANDS.includes(value as CollectCommand)) throw new EdgeAiError('collectCommand', { received: describeValue(value) });
  return value as CollectCommand;
}

/**
 * Frames waiting behind the one being stored, at most; later ones are passed over ('busy').
 * Storing takes a decode and a write: a camera faster than that must not pile up frames.
 */
export const MAX_WAITING_FRAMES = 2;

export interface FrameOutcome {
  kept?: KeptFrame;
  replaced?: KeptFrame;
  skipped?: Skip | 'busy';
  /** The frame's size in bytes when the folder's byte budget turned it away. */
  refusedBytes?: number;
  /** When this frame completed the collection. */
  event?: CollectEvent;
}

export interface CollectorOptions {
  /** Who collects (a node id): one folder, one collector. */
  owner: string;
  random?: () => number;
}

export class Collector {
  readonly config: CollectConfig;
  readonly #sampler: Sampler;
  readonly #random: () => number;
  readonly #release: () => void;
  #folder?: FrameFolder;
  /** Commands and frames, one after another. */
  #queue: Promise<unknown> = Promise.resolve();
  #waiting = 0;

  /** Throws when another collector has the folder. */
  constructor(config: CollectConfig, options: CollectorOptions) {
    this.config = config;
    this.#random = options.random ?? Math.random;
    this.#sampler = new Sampler(config, this.#random);
    this.#release = claimFolder(config.folder, options.owner);
  }

  get sampler(): Sampler {
    return this.#sampler;
  }

  /** Run a command after what is queued; its state change, or undefined when it changed nothing. */
  command(command: CollectCommand): Promise<CollectEvent | undefined> {
    return this.#enqueue(() => (command === 'start' ? this.#start() : command === 'stop' ? Promise.resolve(this.#sampler.stop()) : this.#reset()));
  }

  /**
   * A frame (msg.payload, msg.frame) at `time`. Not an image: throws at once. Otherwise what came
   * of it, once it was looked at and stored (or passed over).
   */
  frame(payload: unknown, info: FrameInfo | undefined, time: number): Promise<FrameOutcome> {
    checkImage(payload, info);
    // Most frames of a stream fall inside the interval: answered without a decode or a wait.
    if (!this.#sampler.due(time)) return Promise.resolve({ skipped: this.#sampler.state === 'collecting' ? 'interval' : 'notCollecting' });
    if (this.#waiting > MAX_WAITING_FRAMES) return Promise.resolve({ skipped: 'busy' });
    return this.#enqueue(() => this.#store(payload, info, time));
  }

  /** Let go of the folder (the node closes); what is queued still finishes. */
  close(): Promise<void> {
    this.#release();
    return this.#queue.then(() => undefined, () => undefined);
  }

  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    this.#waiting++;
    const run = this.#queue.then(work);
    this.#queue = run.then(() => undefined, () => undefined);
    return run.finally(() => {
      this.#waiting--;
    });
  }

  /** The folder, opened afresh by each start and reset: it may have been deleted or replaced since. */
  async #openFolder(): Promise<FrameFolder> {
    this.#folder = await FrameFolder.open(this.config.folder);
    return this.#folder;
  }

  /**
   * Count what the folder holds and go on from there. Frames beyond the count or the byte budget
   * (after the settings were lowered) are removed at random, which keeps the rest spread out.
   */
  async #start(): Promise<CollectEvent | undefined> {
    if (this.#sampler.state === 'collecting') return undefined;
    const folder = await this.#openFolder();
    const frames = await folder.frames();
    let bytes = frames.reduce((sum, f) => sum + f.bytes, 0);
    while (frames.length && (frames.length > this.config.count || bytes > this.config.maxBytes)) {
      const [surplus] = frames.splice(Math.floor(this.#random() * frames.length), 1);
      await folder.remove(surplus.name);
      bytes -= surplus.bytes;
    }
    return this.#sampler.start(frames);
  }

  async #reset(): Promise<CollectEvent> {
    await (await this.#openFolder()).clear();
    return this.#sampler.reset();
  }

  async #store(payload: unknown, info: FrameInfo | undefined, time: number): Promise<FrameOutcome> {
    const sampler = this.#sampler;
    // The state may have changed while the frame waited.
    if (!sampler.due(time)) return { skipped: sampler.state === 'collecting' ? 'interval' : 'notCollecting' };
    const image = await frameImage(payload, info);
    const place = sampler.accept(image.thumbnail, time);
    if (typeof place === 'string') return { skipped: place };
    const jpeg = await image.jpeg();
    if (!sampler.fits(place, jpeg.length)) return { skipped: 'tooLarge', refusedBytes: jpeg.length };
    // Collecting means started, and a start opened the folder.
    const folder = this.#folder!;
    // The replaced frame goes first: the folder never holds more than the count.
    if (place.replaced) await folder.remove(place.replaced.name);
    let kept: KeptFrame;
    try {
      kept = await folder.write(jpeg, time, place.index);
    } catch (err) {
      sampler.vacate(place);
      throw err;
    }
    const event = sampler.keep(place, kept, time);
    return { kept, replaced: place.replaced, event };
  }
}
