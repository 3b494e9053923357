// The trigger node's engine: one frame of results in, the events it causes out. A start/end
// rule over the results (optionally inside one zone), and, when zones, lines, dwell or counts
// are asked for, a tracker whose tracks give enter/leave/dwell/cross/count events.
import { EdgeAiError, describeValue } from '../errors';
import { choiceSetting, numberSetting } from '../settings';
import type { Box } from '../image';
import { anchorOf, insidePolygon, overlapShare, type Anchor, type Point, type Zone } from './geometry';
import { TriggerRule, type ResultLike, type TriggerEvent, type TriggerOptions } from './rule';
import { TrackEvents, type DirectedLine, type TrackView } from './track-events';
import { Tracker, type TrackerOptions } from './tracker';

/** Zones and lines as the user gives them: in fractions of the frame (0..1) or in pixels. */
export interface ZoneSetting {
  name: string;
  points: Point[];
}

export interface LineSetting {
  name: string;
  from: Point;
  to: Point;
  /** Names for crossing towards the right-hand side of from -> to, and back. */
  directions?: [string, string];
}

export interface TriggerSettings {
  /** "person, car", or a list of labels. */
  labels?: string | string[];
  minScore?: number | string;
  minCount?: number | string;
  /** Empty or 0: no upper bound. */
  maxCount?: number | string;
  framesNeeded?: number | string;
  framesWindow?: number | string;
  hold?: number | string;
  cooldown?: number | string;
  /** The zone the start/end rule looks in ('' for the whole frame). */
  ruleZone?: string;
  zones?: ZoneSetting[];
  lines?: LineSetting[];
  units?: 'relative' | 'pixels';
  anchor?: Anchor | 'overlap';
  overlap?: number | string;
  dwell?: number | string;
  lowScore?: number | string;
  matchIou?: number | string;
  confirmFrames?: number | string;
  lostAfter?: number | string;
  /** Track every frame even without zones or lines (for track IDs on the second output). */
  track?: boolean;
}

export interface TriggerConfig {
  rule: TriggerOptions;
  ruleZone: string;
  zones: ZoneSetting[];
  lines: Array<LineSetting & { directions: [string, string] }>;
  units: 'relative' | 'pixels';
  anchor: Anchor | 'overlap';
  overlap: number;
  dwellMs: number;
  tracking?: TrackerOptions;
}

const badSetting = (name: string, expected: string, received: unknown): EdgeAiError => new EdgeAiError('badSetting', { name, expected, received: JSON.stringify(received) ?? String(received) });

function pointsSetting(name: string, value: unknown, least: number): Point[] {
  const ok = Array.isArray(value) && value.length >= least
    && value.every((p) => Array.isArray(p) && p.length === 2 && p.every((n) => typeof n === 'number' && Number.isFinite(n)));
  if (!ok) throw badSetting(name, `a list of at least ${least} [x, y] points`, value);
  return value as Point[];
}

/** Twice the area a polygon encloses (shoelace); 0 for points on one line. */
function doubleArea(points: readonly Point[]): number {
  let sum = 0;
  points.forEach(([x, y], i) => {
    const [nx, ny] = points[(i + 1) % points.length];
    sum += x * ny - nx * y;
  });
  return Math.abs(sum);
}

/** The labels a rule wants: "person, car" or ["person", "car"]. */
function labelsSetting(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(',') : value === undefined ? [] : value;
  if (!Array.isArray(list) || !list.every((l) => typeof l === 'string')) throw badSetting('labels', 'comma-separated labels, or a list of them', value);
  return list.map((l) => l.trim()).filter(Boolean);
}

/** The settings msg.rules may change: the node's own. */
export const RULE_SETTINGS: ReadonlyArray<keyof TriggerSettings> = [
  'labels', 'minScore', 'minCount', 'maxCount', 'framesNeeded', 'framesWindow', 'hold', 'cooldown', 'ruleZone', 'zones', 'lines',
  'units', 'anchor', 'overlap', 'dwell', 'lowScore', 'matchIou', 'confirmFrames', 'lostAfter', 'track',
];

/** msg.rules as it came: an object of known settings, at least one; their values are checked with the rest. */
export function rulesFromMessage(rules: unknown): Partial<TriggerSettings> {
  const refuse = (received: string): never => {
    throw new EdgeAiError('badRules', { known: RULE_SETTINGS.join(', '), received });
  };
  if (rules === null || typeof rules !== 'object' || Array.isArray(rules)) return refuse(describeValue(rules));
  const keys = Object.keys(rules);
  if (!keys.length) refuse('an empty object');
  const unknown = keys.filter((k) => !(RULE_SETTINGS as readonly string[]).includes(k));
  if (unknown.length) refuse(`unknown ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
  return rules as Partial<TriggerSettings>;
}

function nameSetting(kind: string, value: unknown, taken: Set<string>): string {
  if (typeof value !== 'string' || !value.trim()) throw badSetting(`${kind} name`, 'a name', value);
  if (taken.has(value.trim())) throw badSetting(`${kind} name`, 'a name used once', value);
  taken.add(value.trim());
  return value.trim();
}

/** Check and complete the settings, once, when the node is deployed (or when msg changes them). */
export function triggerConfigFrom(s: TriggerSettings): TriggerConfig {
  const names = new Set<string>();
  if (s.zones !== undefined && !Array.isArray(s.zones)) throw badSetting('zones', 'a list of {name, points}', s.zones);
  if (s.lines !== undefined && !Array.isArray(s.lines)) throw badSetting('lines', 'a list of {name, from, to}', s.lines);
  const zones = (s.zones ?? []).map((z) => {
    const name = nameSetting('zone', z?.name, names);
    const points = pointsSetting(`zone ${name}`, z?.points, 3);
    // A zone without an area holds nothing, so it would never count.
    if (!(doubleArea(points) > 1e-9)) throw badSetting(`zone ${name}`, 'points that enclose an area', points);
    return { name, points };
  });
  const lines = (s.lines ?? []).map((l) => {
    const name = nameSetting('line', l?.name, names);
    const [from, to] = pointsSetting(`line ${name}`, [l.from, l.to], 2);
    // A line of no length is crossed by nothing.
    if (from[0] === to[0] && from[1] === to[1]) throw badSetting(`line ${name}`, 'two different end points', [from, to]);
    const directions = l.directions ?? ['forward', 'backward'];
    if (!Array.isArray(directions) || directions.length !== 2 || !directions.every((d) => typeof d === 'string' && d) || directions[0] === directions[1]) {
      throw badSetting(`line ${name} directions`, 'two different names', directions);
    }
    return { name, from, to, directions: directions as [string, string] };
  });
  const units = choiceSetting('units', s.units, 'relative', ['relative', 'pixels'] as const);
  if (units === 'relative') {
    const all = [...zones.flatMap((z) => z.points), ...lines.flatMap((l) => [l.from, l.to])];
    if (all.some(([x, y]) => x < 0 || x > 1 || y < 0 || y > 1)) throw badSetting('zones and lines', 'points between 0 and 1 (fractions of the frame)', all.find(([x, y]) => x < 0 || x > 1 || y < 0 || y > 1));
  }
  const anchor = choiceSetting('anchor', s.anchor, 'bottom', ['bottom', 'center', 'overlap'] as const);
  const ruleZone = String(s.ruleZone ?? '');
  if (ruleZone && !zones.some((z) => z.name === ruleZone)) throw badSetting('ruleZone', `one of the zones (${zones.map((z) => z.name).join(', ') || 'none defined'})`, ruleZone);
  const minScore = numberSetting('minScore', s.minScore, 0.5, 0, 1);
  const maxCount = numberSetting('maxCount', s.maxCount === '' ? 0 : s.maxCount, 0, 0, 100000, true);
  const framesWindow = numberSetting('framesWindow', s.framesWindow, 1, 1, 1000, true);
  const dwellMs = numberSetting('dwell', s.dwell, 0, 0, 86400) * 1000;
  const config: TriggerConfig = {
    rule: {
      labels: labelsSetting(s.labels),
      minScore,
      minCount: numberSetting('minCount', s.minCount, 1, 0, 100000, true),
      maxCount: maxCount || Infinity,
      framesNeeded: numberSetting('framesNeeded', s.framesNeeded, 1, 1, framesWindow, true),
      framesWindow,
      holdMs: numberSetting('hold', s.hold, 2, 0, 86400) * 1000,
      cooldownMs: numberSetting('cooldown', s.cooldown, 0, 0, 86400) * 1000,
    },
    ruleZone, zones, lines, units, anchor, dwellMs,
    overlap: numberSetting('overlap', s.overlap, 0.5, 0.01, 1),
  };
  if (zones.length || lines.length || s.track) {
    config.tracking = {
      highScore: minScore,
      lowScore: numberSetting('lowScore', s.lowScore, minScore / 5, 0, minScore),
      matchIou: numberSetting('matchIou', s.matchIou, 0.3, 0.01, 1),
      confirmFrames: numberSetting('confirmFrames', s.confirmFrames, 3, 1, 100, true),
      lostAfterMs: numberSetting('lostAfter', s.lostAfter, 1, 0, 3600) * 1000,
    };
  }
  return config;
}

export interface FrameSize {
  width: number;
  height: number;
}

export interface FrameResult {
  events: TriggerEvent[];
  /** Tracks alive after this frame (when tracking). */
  tracks?: TrackView[];
  /** The results of the wanted labels that are sure enough or tracked, each with its trackId when it has one. */
  results: Array<ResultLike & { trackId?: number }>;
  /** Zones and lines in frame pixels, with their counts, for drawing. */
  zones: Array<{ name: string; points: Point[]; count: number }>;
  lines: Array<{ name: string; from: Point; to: Point; directions: [string, string]; totals: Record<string, number> }>;
}

/**
 * Most detections tracked in one frame, the best scores first. Pairing tracks with detections
 * costs tracks x detections: 1,000 detections took half a second a frame and 10,000 ran the heap
 * out. A camera frame with more objects worth following is not what this tracker is for.
 */
export const MAX_TRACKED = 200;

/** Margin of zone outlines and lines against jitter, as a share of the frame's diagonal. */
const MARGIN_SHARE = 0.02;

export class TriggerEngine {
  readonly config: TriggerConfig;
  readonly #rule: TriggerRule;
  readonly #tracker?: Tracker;
  #events?: TrackEvents;
  /** The frame size the pixel zones were made for. */
  #size?: FrameSize;
  #zonesPx: Zone[] = [];
  #ruleCount = 0;
  #untracked = 0;
  #linesPx: DirectedLine[] = [];

  constructor(config: TriggerConfig) {
    this.config = config;
    this.#rule = new TriggerRule(config.rule);
    if (config.tracking) this.#tracker = new Tracker(config.tracking);
  }

  get ruleActive(): boolean {
    return this.#rule.active;
  }

  /** Detections left untracked in the last frame (more than MAX_TRACKED wanted ones). */
  get untracked(): number {
    return this.#untracked;
  }

  /** Results the rule counted in the last frame. */
  get ruleCount(): number {
    return this.#ruleCount;
  }

  /**
   * Takes over a running engine's state when its rules were changed: track IDs go on (never
   * reused), and while zones and lines stay as they were, the tracks and their counts and totals too.
   */
  continueFrom(previous: TriggerEngine): void {
    if (!this.#tracker || !previous.#tracker) return;
    const geometry = (c: TriggerConfig): string => JSON.stringify([c.zones, c.lines, c.units, c.anchor, c.overlap, c.dwellMs]);
    const same = geometry(this.config) === geometry(previous.config);
    this.#tracker.continueFrom(previous.#tracker, same);
    if (!same) return;
    this.#events = previous.#events;
    this.#size = previous.#size;
    this.#zonesPx = previous.#zonesPx;
    this.#linesPx = previous.#linesPx;
  }

  /** When tick() should next run for a pending end, or undefined. */
  nextDeadline(): number | undefined {
    return this.#rule.nextDeadline();
  }

  /** Called by a timer when no frames arrive: the end an activation owes, if its hold ran out. */
  tick(now: number): TriggerEvent | undefined {
    const event = this.#rule.tick(now);
    if (event && this.config.ruleZone) event.zone = this.config.ruleZone;
    return event;
  }

  /**
   * One frame. `size` is needed when zones or lines are in fractions of the frame (and to scale
   * the jitter margin); without zones and lines it may be undefined.
   */
  update(results: readonly ResultLike[], size: FrameSize | undefined, now: number): FrameResult {
    const events: TriggerEvent[] = [];
    this.#scale(size);
    const ruleZone = this.#zonesPx.find((z) => z.name === this.config.ruleZone);
    const inRuleZone = ruleZone ? results.filter((r) => isBoxed(r) && this.#inside(r.box, ruleZone)) : results;
    this.#ruleCount = this.#rule.matching(inRuleZone).length;
    const ruleEvent = this.#rule.update(inRuleZone, now);
    if (ruleEvent) {
      if (ruleZone) ruleEvent.zone = ruleZone.name;
      events.push(ruleEvent);
    }
    const tagged: Array<ResultLike & { trackId?: number }> = results.map((r) => ({ ...r }));
    let tracks: TrackView[] | undefined;
    if (this.#tracker && this.#events) {
      // Tracked: boxed results of the wanted labels down to the low score (ByteTrack's second pass).
      const candidates = tagged.filter((r) => isBoxed(r) && r.score >= this.config.tracking!.lowScore && this.#rule.wants(r.label));
      if (candidates.length > MAX_TRACKED) candidates.sort((a, b) => b.score - a.score);
      this.#untracked = Math.max(0, candidates.length - MAX_TRACKED);
      const update = this.#tracker.update(candidates.slice(0, MAX_TRACKED) as Array<ResultLike & { box: Box }>, now);
      for (const track of update.tracks) if (track.detection) (track.detection as { trackId?: number }).trackId = track.id;
      events.push(...this.#events.update(update, now));
      tracks = this.#events.view(update.tracks, now);
    }
    const counts = this.#events?.counts ?? {};
    const totals = this.#events?.totals ?? {};
    // What the trigger looked at: wanted labels, sure enough or tracked (a half-hidden person).
    const minScore = this.config.rule.minScore;
    const considered = tagged.filter((r) => this.#rule.wants(r.label) && (r.score >= minScore || r.trackId !== undefined));
    return {
      events,
      tracks,
      results: considered,
      zones: this.#zonesPx.map((z) => ({ name: z.name, points: z.points, count: counts[z.name] ?? 0 })),
      lines: this.#linesPx.map((l) => ({ ...l, totals: totals[l.name] ?? {} })),
    };
  }

  #inside(box: Box, zone: Zone): boolean {
    const { anchor, overlap } = this.config;
    return anchor === 'overlap' ? overlapShare(box, zone.points) >= overlap : insidePolygon(anchorOf(box, anchor), zone.points);
  }

  /** Zones and lines in this frame's pixels; made again (with fresh track state) when the frame size changes. */
  #scale(size: FrameSize | undefined): void {
    const { zones, lines, units } = this.config;
    if (!zones.length && !lines.length && !this.#tracker) return;
    if (units === 'relative' && (zones.length || lines.length) && !(size && size.width > 0 && size.height > 0)) {
      throw new EdgeAiError('noFrameSize', { received: describeValue(size) });
    }
    if (this.#events && (!size || (this.#size?.width === size.width && this.#size?.height === size.height))) return;
    const [sx, sy] = units === 'relative' && size ? [size.width, size.height] : [1, 1];
    const scale = ([x, y]: Point): Point => [x * sx, y * sy];
    this.#size = size;
    this.#zonesPx = zones.map((z) => ({ name: z.name, points: z.points.map(scale) }));
    this.#linesPx = lines.map((l) => ({ ...l, from: scale(l.from), to: scale(l.to) }));
    const margin = size ? MARGIN_SHARE * Math.hypot(size.width, size.height) : 0;
    this.#events = new TrackEvents(this.#zonesPx, this.#linesPx, { anchor: this.config.anchor, overlap: this.config.overlap, margin, dwellMs: this.config.dwellMs });
  }
}

const isBoxed = (r: ResultLike): r is ResultLike & { box: Box } => {
  const box = (r as { box?: Box }).box;
  return !!box && typeof box.x === 'number' && typeof box.y === 'number' && typeof box.w === 'number' && typeof box.h === 'number';
};
