// A multi-object tracker in the manner of ByteTrack: boxes are associated with tracks by IoU
// against each track's position predicted from its velocity; sure detections first, then the
// unsure ones (often the same object half hidden) for the tracks still unmatched, so a person
// behind a post keeps their track. New tracks need a few frames before they count (no IDs for
// one-frame flickers); a track that stops being seen lives on, predicted, for a while, and takes
// its detection back if it reappears (occlusion), else it dies.
import { iou, type Detection } from '../decode';
import { anchorOf } from './geometry';
import type { Box } from '../image';

export interface TrackerOptions {
  /** Detections at or above this start and continue tracks. */
  highScore: number;
  /** Detections from this up to highScore only continue tracks already matched recently. */
  lowScore: number;
  /** Least IoU between a track's predicted box and a detection to take it. */
  matchIou: number;
  /** Frames in a row a new track must be seen before it is confirmed and gets an ID. */
  confirmFrames: number;
  /** How long (ms) a confirmed track lives on unseen before it is dropped. */
  lostAfterMs: number;
}

/** What the tracker reads of a detection; results from elsewhere may lack the rest. */
export type TrackedDetection = Pick<Detection, 'label' | 'score' | 'box'>;

export interface Track {
  /** 0 until confirmed; then stable for the track's life. */
  id: number;
  label: string;
  box: Box;
  score: number;
  /** Centre velocity in pixels per second (smoothed). */
  velocity: { x: number; y: number };
  firstSeen: number;
  lastSeen: number;
  /** Consecutive frames seen (for confirmation). */
  streak: number;
  confirmed: boolean;
  /** The detection of this frame, when it was seen in this frame. */
  detection?: TrackedDetection;
}

export interface TrackerUpdate {
  /** Confirmed tracks alive after this frame: seen now, or unseen for less than lostAfterMs. */
  tracks: Track[];
  /** Tracks confirmed in this frame. */
  born: Track[];
  /** Confirmed tracks dropped in this frame (unseen for too long). */
  died: Track[];
}

/** How much each new velocity measurement counts against the running value. */
const VELOCITY_WEIGHT = 0.5;
/** Predictions stop extrapolating after this long: a lost track waits where it was heading. */
const MAX_PREDICTION_MS = 1000;

export class Tracker {
  #options: TrackerOptions;
  #tracks: Track[] = [];
  #nextId = 1;

  constructor(options: TrackerOptions) {
    this.#options = options;
  }

  /**
   * Goes on with another tracker's tracks and IDs under new options: new rules must not restart
   * the IDs (a reused ID is another object) nor drop the tracks being followed.
   */
  continueFrom(previous: Tracker, keepTracks: boolean): void {
    this.#nextId = Math.max(this.#nextId, previous.#nextId);
    if (keepTracks) this.#tracks = previous.#tracks;
  }

  /** Confirmed tracks currently alive. */
  get tracks(): Track[] {
    return this.#tracks.filter((t) => t.confirmed);
  }

  update(detections: readonly TrackedDetection[], now: number): TrackerUpdate {
    const { highScore, lowScore, matchIou, confirmFrames, lostAfterMs } = this.#options;
    for (const track of this.#tracks) track.detection = undefined;
    const high = detections.filter((d) => d.score >= highScore);
    const low = detections.filter((d) => d.score >= lowScore && d.score < highScore);
    const predicted = new Map(this.#tracks.map((t) => [t, predict(t, now)]));

    const unmatched = new Set(this.#tracks);
    /** Pair tracks and detections greedily, best score first (undefined: may not pair). */
    const assign = (pool: readonly TrackedDetection[], candidates: (t: Track) => boolean, score: (box: Box, detection: TrackedDetection) => number | undefined): TrackedDetection[] => {
      // Pairs in flat arrays: up to tracks x detections of them each frame, so no object per pair.
      const tracks = [...unmatched].filter(candidates);
      const pairTrack: number[] = [];
      const pairDetection: number[] = [];
      const pairScore: number[] = [];
      tracks.forEach((track, t) => {
        const box = predicted.get(track)!;
        // Only a track's best few candidates: the greedy pairing below seldom goes further down a
        // track's list, and sorting every pair of a crowded frame would cost far more.
        const best: Array<[number, number]> = [];
        pool.forEach((detection, d) => {
          if (detection.label !== track.label) return;
          const overlap = score(box, detection);
          if (overlap === undefined) return;
          if (best.length === CANDIDATES_PER_TRACK && overlap <= best[best.length - 1][1]) return;
          let at = best.length;
          while (at > 0 && best[at - 1][1] < overlap) at--;
          best.splice(at, 0, [d, overlap]);
          if (best.length > CANDIDATES_PER_TRACK) best.pop();
        });
        for (const [d, overlap] of best) {
          pairTrack.push(t);
          pairDetection.push(d);
          pairScore.push(overlap);
        }
      });
      // Best first; ties keep the older track.
      const order = pairScore.map((_, i) => i).sort((a, b) => pairScore[b] - pairScore[a] || tracks[pairTrack[a]].firstSeen - tracks[pairTrack[b]].firstSeen);
      const used = new Set<number>();
      for (const i of order) {
        const track = tracks[pairTrack[i]];
        if (!unmatched.has(track) || used.has(pairDetection[i])) continue;
        this.#take(track, pool[pairDetection[i]], now);
        unmatched.delete(track);
        used.add(pairDetection[i]);
      }
      return pool.filter((_, d) => !used.has(d));
    };
    const overlapping = (least: number) => (box: Box, d: TrackedDetection): number | undefined => {
      const overlap = iou(box, d.box);
      return overlap >= least ? overlap : undefined;
    };
    // Sure detections: confirmed tracks (seen or lost) first, then the tracks still on probation;
    // then, for what is left, by distance: at a low frame rate an object moves further than its
    // own width between frames, and its boxes no longer overlap.
    let rest = assign(high, (t) => t.confirmed, overlapping(matchIou));
    rest = assign(rest, (t) => !t.confirmed, overlapping(matchIou));
    rest = assign(rest, () => true, near);
    // Unsure detections continue only tracks seen in the frame before, and must overlap well.
    assign(low, (t) => t.confirmed && t.streak > 0, overlapping(Math.max(matchIou, 0.5)));

    const born: Track[] = [];
    const died: Track[] = [];
    for (const track of unmatched) track.streak = 0;
    this.#tracks = this.#tracks.filter((track) => {
      if (track.detection) {
        if (!track.confirmed && track.streak >= confirmFrames) {
          track.confirmed = true;
          track.id = this.#nextId++;
          born.push(track);
        }
        return true;
      }
      // A track on probation that misses a frame was a flicker.
      if (!track.confirmed) return false;
      if (now - track.lastSeen < lostAfterMs) return true;
      died.push(track);
      return false;
    });
    for (const detection of rest) {
      if (this.#tracks.length >= MAX_TRACKS) break;
      const track: Track = {
        id: 0, label: detection.label, box: { ...detection.box }, score: detection.score, velocity: { x: 0, y: 0 },
        firstSeen: now, lastSeen: now, streak: 1, confirmed: false, detection,
      };
      if (confirmFrames <= 1) {
        track.confirmed = true;
        track.id = this.#nextId++;
        born.push(track);
      }
      this.#tracks.push(track);
    }
    return { tracks: this.tracks, born, died };
  }

  #take(track: Track, detection: TrackedDetection, now: number): void {
    const dt = (now - track.lastSeen) / 1000;
    if (dt > 0) {
      const [cx, cy] = anchorOf(track.box, 'center');
      const [nx, ny] = anchorOf(detection.box, 'center');
      const fresh = track.streak > 0 ? VELOCITY_WEIGHT : 1;
      track.velocity = {
        x: track.velocity.x * (1 - fresh) + ((nx - cx) / dt) * fresh,
        y: track.velocity.y * (1 - fresh) + ((ny - cy) / dt) * fresh,
      };
    }
    track.box = { ...detection.box };
    track.score = detection.score;
    track.lastSeen = now;
    track.streak++;
    track.detection = detection;
  }
}


/** Detections a track is weighed against when pairing: its best ones by overlap or distance. */
const CANDIDATES_PER_TRACK = 8;

/** Most tracks alive at once, confirmed, lost or on probation: twice the detections tracked per frame. */
const MAX_TRACKS = 400;

/** Farthest a box may have moved, in its own sizes, to be paired by distance. */
const MAX_JUMP = 1;
/** How different in area two boxes of one object may be (either way) to be paired by distance. */
const MAX_AREA_RATIO = 2;

/** A score for pairing by distance (closer is higher), for boxes of about the same size only. */
function near(box: Box, d: TrackedDetection): number | undefined {
  const ratio = (box.w * box.h) / (d.box.w * d.box.h);
  if (!(ratio <= MAX_AREA_RATIO && ratio >= 1 / MAX_AREA_RATIO)) return undefined;
  const [ax, ay] = anchorOf(box, 'center');
  const [bx, by] = anchorOf(d.box, 'center');
  const jump = Math.hypot(ax - bx, ay - by) / Math.max(box.w, box.h, d.box.w, d.box.h);
  return jump <= MAX_JUMP ? -jump : undefined;
}

/** Where the track's box should be now, moving on at its velocity. */
function predict(track: Track, now: number): Box {
  const dt = Math.min(now - track.lastSeen, MAX_PREDICTION_MS) / 1000;
  return { ...track.box, x: track.box.x + track.velocity.x * dt, y: track.box.y + track.velocity.y * dt };
}
