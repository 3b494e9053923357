// The collect node's sampler: which frames of a stream go into the calibration folder. Frames
// spaced in time and different enough from the last one taken; past N of them, a reservoir
// keeps N spread over the whole collection (or collection stops), within a byte budget.
import { EdgeAiError } from '../errors';
import { choiceSetting, numberSetting } from '../settings';
import { expandPath } from '../paths';

export type WhenFull = 'stop' | 'keep-sampling';

/** The node's settings as the editor saves them (strings or numbers). */
export interface CollectSettings {
  folder?: string;
  count?: number | string;
  /** Seconds between two accepted frames at the least. */
  interval?: number | string;
  /** Mean absolute difference (0..1) a frame must exceed against the last accepted one; 0: no check. */
  minChange?: number | string;
  maxMegabytes?: number | string;
  whenFull?: string;
}

export interface CollectConfig {
  /** The folder, resolved (environment variables, ~, relative to the Node-RED user dir). */
  folder: string;
  count: number;
  intervalMs: number;
  minChange: number;
  maxBytes: number;
  whenFull: WhenFull;
}

export const COLLECT_DEFAULTS = {
  folder: 'edge-ai-calibration',
  // The quantizer reads 64 images by default (edge-ai-model quantize --max-images).
  count: 64,
  interval: 2,
  // Measured on the CCTV sample (16x16 grey): 0.002-0.008 between frames 0.2 s apart, 0.01-0.02 one second apart.
  minChange: 0.01,
  maxMegabytes: 100,
  whenFull: 'stop' as WhenFull,
};

/** Most frames one node collects. */
export const MAX_COUNT = 10000;

/**
 * After a frame was found unchanged, the next one is looked at no sooner than this: a still
 * scene costs a few thumbnails a second, not one per camera frame.
 */
export const UNCHANGED_RECHECK_MS = 250;

/** Check and complete the settings, once, when the node is deployed. */
export function collectConfigFrom(s: CollectSettings, baseDir: string): CollectConfig {
  const folder = s.folder === undefined ? COLLECT_DEFAULTS.folder : s.folder;
  if (typeof folder !== 'string' || !folder.trim()) {
    throw new EdgeAiError('badSetting', { name: 'folder', expected: 'the path of a folder', received: JSON.stringify(folder) ?? String(folder) });
  }
  return {
    folder: expandPath(folder, baseDir),
    count: numberSetting('count', s.count, COLLECT_DEFAULTS.count, 1, MAX_COUNT, true),
    intervalMs: numberSetting('interval', s.interval, COLLECT_DEFAULTS.interval, 0, 86400) * 1000,
    minChange: numberSetting('minChange', s.minChange, COLLECT_DEFAULTS.minChange, 0, 1),
    maxBytes: Math.round(numberSetting('maxMegabytes', s.maxMegabytes, COLLECT_DEFAULTS.maxMegabytes, 0.01, 1e6) * 1e6),
    whenFull: choiceSetting('whenFull', s.whenFull, COLLECT_DEFAULTS.whenFull, ['stop', 'keep-sampling'] as const),
  };
}

/** Mean absolute difference of two thumbnails of the same size (values 0..1). */
export function meanDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length || !a.length) return 1;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

export type CollectState = 'idle' | 'collecting' | 'done' | 'stopped';

/** A frame in the folder. */
export interface KeptFrame {
  name: string;
  bytes: number;
  /** Its number among the frames the sampler accepted for this folder (1, 2, ...). */
  index: number;
}

/** Why a frame was not kept. */
export type Skip = 'notCollecting' | 'interval' | 'unchanged' | 'notSampled' | 'tooLarge';

/** Where an accepted frame goes: appended, or in place of a kept one. */
export interface Place {
  /** Position in the kept list (its length: appended). */
  slot: number;
  replaced?: KeptFrame;
  index: number;
}

/** A state change, for the node's second output. */
export interface CollectEvent {
  state: CollectState;
  kept: number;
  seen: number;
  count: number;
  bytes: number;
}

export class Sampler {
  readonly config: CollectConfig;
  readonly #random: () => number;
  #state: CollectState = 'idle';
  #kept: KeptFrame[] = [];
  #bytes = 0;
  /** Frames accepted since the folder was last empty (kept or offered to the reservoir). */
  #seen = 0;
  #nextIndex = 1;
  #lastAcceptedAt?: number;
  #lastKeptAt?: number;
  #lastThumbnail?: Float32Array;
  #nextLookAt = -Infinity;

  constructor(config: CollectConfig, random: () => number = Math.random) {
    this.config = config;
    this.#random = random;
  }

  get state(): CollectState {
    return this.#state;
  }

  get kept(): readonly KeptFrame[] {
    return this.#kept;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get seen(): number {
    return this.#seen;
  }

  get lastKeptAt(): number | undefined {
    return this.#lastKeptAt;
  }

  get full(): boolean {
    return this.#kept.length >= this.config.count;
  }

  event(): CollectEvent {
    return { state: this.#state, kept: this.#kept.length, seen: this.#seen, count: this.config.count, bytes: this.#bytes };
  }

  /**
   * Start collecting into a folder that holds `existing` frames (at most count of them). When
   * they are the frames this sampler kept, the count of frames seen goes on; otherwise they count
   * as the first ones seen. Done at once when the folder is full and collection stops there.
   */
  start(existing: readonly KeptFrame[]): CollectEvent {
    const same = existing.length === this.#kept.length && existing.every((f) => this.#kept.some((k) => k.name === f.name));
    this.#kept = [...existing];
    this.#bytes = existing.reduce((sum, f) => sum + f.bytes, 0);
    this.#seen = same ? Math.max(this.#seen, existing.length) : existing.length;
    this.#nextIndex = Math.max(this.#nextIndex, ...existing.map((f) => f.index + 1));
    this.#lastAcceptedAt = undefined;
    this.#lastThumbnail = undefined;
    this.#nextLookAt = -Infinity;
    this.#state = this.full && this.config.whenFull === 'stop' ? 'done' : 'collecting';
    return this.event();
  }

  /** Stop collecting; undefined when not collecting. */
  stop(): CollectEvent | undefined {
    if (this.#state !== 'collecting') return undefined;
    this.#state = 'stopped';
    return this.event();
  }

  /** Forget everything (the folder was emptied). */
  reset(): CollectEvent {
    this.#state = 'idle';
    this.#kept = [];
    this.#bytes = 0;
    this.#seen = 0;
    this.#nextIndex = 1;
    this.#lastAcceptedAt = this.#lastKeptAt = undefined;
    this.#lastThumbnail = undefined;
    return this.event();
  }

  /** Whether a frame at `now` is worth looking at: collecting, and the interval is over. */
  due(now: number): boolean {
    return this.#skipBeforeLooking(now) === undefined;
  }

  /** Why a frame at `now` is not looked at, or undefined when it is. */
  #skipBeforeLooking(now: number): Skip | undefined {
    if (this.#state !== 'collecting') return 'notCollecting';
    // A clock that went back (another source, a camera restart) does not hold collection up.
    const last = this.#lastAcceptedAt;
    if (last !== undefined && now >= last && now - last < this.config.intervalMs) return 'interval';
    if (now < this.#nextLookAt && now >= this.#nextLookAt - UNCHANGED_RECHECK_MS) return 'unchanged';
    return undefined;
  }

  /**
   * A frame's thumbnail at `now`: where it goes, or why not. An accepted frame counts as seen
   * (and is the one the next frames must differ from) even when the reservoir passes it over.
   */
  accept(thumbnail: Float32Array, now: number): Place | Skip {
    const early = this.#skipBeforeLooking(now);
    if (early) return early;
    const minChange = this.config.minChange;
    if (minChange > 0 && this.#lastThumbnail && meanDifference(thumbnail, this.#lastThumbnail) <= minChange) {
      this.#nextLookAt = now + UNCHANGED_RECHECK_MS;
      return 'unchanged';
    }
    this.#lastAcceptedAt = now;
    this.#lastThumbnail = thumbnail;
    this.#seen++;
    const index = this.#nextIndex++;
    if (!this.full) return { slot: this.#kept.length, index };
    // Reservoir sampling (algorithm R): the seen-th frame replaces a random kept one with probability count/seen.
    const slot = Math.floor(this.#random() * this.#seen);
    if (slot >= this.config.count) return 'notSampled';
    return { slot, replaced: this.#kept[slot], index };
  }

  /** Whether a frame of `bytes` at `place` keeps the folder within its byte budget. */
  fits(place: Place, bytes: number): boolean {
    return this.#bytes - (place.replaced?.bytes ?? 0) + bytes <= this.config.maxBytes;
  }

  /** The frame is in the folder: counted, and done when collection stops at count. */
  keep(place: Place, frame: KeptFrame, now: number): CollectEvent | undefined {
    this.#bytes += frame.bytes - (place.replaced?.bytes ?? 0);
    this.#kept[place.slot] = frame;
    this.#lastKeptAt = now;
    if (this.#state === 'collecting' && this.full && this.config.whenFull === 'stop') {
      this.#state = 'done';
      return this.event();
    }
    return undefined;
  }

  /** The replaced frame was removed but its successor could not be written: the place is empty. */
  vacate(place: Place): void {
    if (!place.replaced) return;
    this.#bytes -= place.replaced.bytes;
    this.#kept.splice(place.slot, 1);
  }
}
