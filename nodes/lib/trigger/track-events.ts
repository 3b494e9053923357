// Events from tracks moving through zones and over counting lines: enter, leave, dwell, cross
// and count. Every decision has hysteresis (a margin around zone outlines and lines) so a
// box jittering on a border does not send enter/leave/enter.
import {
  anchorOf, crossesSegment, distanceToOutline, insidePolygon, overlapShare, signedDistance,
  type Anchor, type CountingLine, type Point, type Zone,
} from './geometry';
import type { TriggerEvent } from './rule';
import type { Track, TrackerUpdate } from './tracker';

export interface DirectedLine extends CountingLine {
  /** Names of the two directions: [left-hand side to right-hand side, right to left]. */
  directions: [string, string];
}

export interface TrackEventOptions {
  /** Where a track stands in a zone: a point of its box, or a share of its box inside. */
  anchor: Anchor | 'overlap';
  /** For 'overlap': the share of the box (0..1) that must be inside. */
  overlap: number;
  /** Pixels an anchor must be past a zone outline or a line before its side changes. */
  margin: number;
  /** A dwell event after this long in a zone (ms); 0: none. */
  dwellMs: number;
}

/** Overlap needs to move this much past its threshold to change a track's state. */
const OVERLAP_HYSTERESIS = 0.05;

interface ZoneState {
  inside: boolean;
  since: number;
  dwellSent: boolean;
}

interface LineState {
  /** The last side clearly on: -1 left, +1 right. */
  side: number;
  /** Where the track's anchor was when last clearly on that side. */
  at: Point;
}

export interface TrackView {
  trackId: number;
  label: string;
  score: number;
  box: Track['box'];
  /** ms since first seen. */
  age: number;
  /** Centre velocity in pixels per second. */
  velocity: { x: number; y: number };
  /** Whether it was seen in this frame (else it is predicted through an occlusion). */
  seen: boolean;
  /** Zones it is in, with ms spent there. */
  zones: Record<string, number>;
}

export class TrackEvents {
  readonly #zones: readonly Zone[];
  readonly #lines: readonly DirectedLine[];
  readonly #options: TrackEventOptions;
  readonly #inZones = new Map<number, Map<string, ZoneState>>();
  readonly #onLines = new Map<number, Map<string, LineState>>();
  readonly #totals = new Map<string, Record<string, number>>();
  readonly #counts = new Map<string, number>();

  constructor(zones: readonly Zone[], lines: readonly DirectedLine[], options: TrackEventOptions) {
    this.#zones = zones;
    this.#lines = lines;
    this.#options = options;
    for (const line of lines) this.#totals.set(line.name, { [line.directions[0]]: 0, [line.directions[1]]: 0 });
    for (const zone of zones) this.#counts.set(zone.name, 0);
  }

  /** Crossings per line and direction since the start. */
  get totals(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.#totals].map(([name, t]) => [name, { ...t }]));
  }

  get counts(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }

  update(update: TrackerUpdate, now: number): TriggerEvent[] {
    const events: TriggerEvent[] = [];
    for (const track of update.tracks) {
      // An unseen track (through an occlusion) keeps the state it had.
      if (!track.detection) continue;
      this.#zonesOf(track, now, events);
      this.#linesOf(track, now, events);
    }
    for (const track of update.died) {
      for (const [zone, state] of this.#inZones.get(track.id) ?? []) {
        if (state.inside) events.push({ type: 'leave', time: now, zone, trackId: track.id, label: track.label, dwell: now - state.since, lost: true });
      }
      this.#inZones.delete(track.id);
      this.#onLines.delete(track.id);
    }
    for (const zone of this.#zones) {
      const inside = update.tracks.filter((t) => this.#inZones.get(t.id)?.get(zone.name)?.inside).map((t) => t.id);
      const previous = this.#counts.get(zone.name)!;
      if (inside.length !== previous) {
        this.#counts.set(zone.name, inside.length);
        events.push({ type: 'count', time: now, zone: zone.name, count: inside.length, previous, trackIds: inside });
      }
    }
    // enter/leave carry the count after this frame.
    for (const event of events) if (event.type === 'enter' || event.type === 'leave') event.count = this.#counts.get(event.zone!);
    return events;
  }

  /** How the tracks stand after the last update, for msg.tracks. */
  view(tracks: readonly Track[], now: number): TrackView[] {
    return tracks.map((t) => ({
      trackId: t.id, label: t.label, score: t.score, box: t.box, age: now - t.firstSeen, velocity: t.velocity, seen: !!t.detection,
      zones: Object.fromEntries([...(this.#inZones.get(t.id) ?? [])].filter(([, s]) => s.inside).map(([zone, s]) => [zone, now - s.since])),
    }));
  }

  #zonesOf(track: Track, now: number, events: TriggerEvent[]): void {
    let states = this.#inZones.get(track.id);
    if (!states) this.#inZones.set(track.id, (states = new Map()));
    for (const zone of this.#zones) {
      const inside = this.#insideNow(track, zone, states.get(zone.name)?.inside);
      const state = states.get(zone.name);
      const base = { time: now, zone: zone.name, trackId: track.id, label: track.label };
      if (!state || state.inside !== inside) {
        if (state?.inside) events.push({ type: 'leave', ...base, dwell: now - state.since });
        if (inside) events.push({ type: 'enter', ...base });
        states.set(zone.name, { inside, since: now, dwellSent: false });
      } else if (inside && this.#options.dwellMs > 0 && !state.dwellSent && now - state.since >= this.#options.dwellMs) {
        state.dwellSent = true;
        events.push({ type: 'dwell', ...base, dwell: now - state.since });
      }
    }
  }

  /** Inside or not, changing from `before` only when clearly past the outline. */
  #insideNow(track: Track, zone: Zone, before: boolean | undefined): boolean {
    if (this.#options.anchor === 'overlap') {
      const share = overlapShare(track.box, zone.points);
      const threshold = this.#options.overlap;
      if (before === undefined) return share >= threshold;
      return before ? share >= threshold - OVERLAP_HYSTERESIS : share >= threshold + OVERLAP_HYSTERESIS;
    }
    const point = anchorOf(track.box, this.#options.anchor);
    const inside = insidePolygon(point, zone.points);
    if (before === undefined || inside === before) return inside;
    return distanceToOutline(point, zone.points) >= this.#options.margin ? inside : before;
  }

  #linesOf(track: Track, now: number, events: TriggerEvent[]): void {
    let states = this.#onLines.get(track.id);
    if (!states) this.#onLines.set(track.id, (states = new Map()));
    const point = anchorOf(track.box, this.#options.anchor === 'overlap' ? 'bottom' : this.#options.anchor);
    for (const line of this.#lines) {
      const distance = signedDistance(point, line);
      // Within the margin of the line the side is undecided.
      if (Math.abs(distance) < this.#options.margin) continue;
      const side = Math.sign(distance);
      const state = states.get(line.name);
      if (state && state.side !== side && crossesSegment(state.at, point, line)) {
        const direction = line.directions[state.side < 0 ? 0 : 1];
        const totals = this.#totals.get(line.name)!;
        totals[direction]++;
        events.push({ type: 'cross', time: now, line: line.name, direction, trackId: track.id, label: track.label, totals: { ...totals } });
      }
      states.set(line.name, { side, at: point });
    }
  }
}
