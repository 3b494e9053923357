// Plane geometry for zones and counting lines, in frame pixels (y down).
import type { Box } from '../image';

export type Point = [number, number];

export interface Zone {
  name: string;
  /** Corners in order, at least three; the polygon closes by itself. */
  points: Point[];
}

export interface CountingLine {
  name: string;
  from: Point;
  to: Point;
}

/** Where a box stands: the middle of its bottom edge (feet on the ground) or its centre. */
export type Anchor = 'bottom' | 'center';

export function anchorOf(box: Box, anchor: Anchor): Point {
  return [box.x + box.w / 2, anchor === 'bottom' ? box.y + box.h : box.y + box.h / 2];
}

/** Even-odd rule: a point on the boundary may count either way (the margin handles that). */
export function insidePolygon([x, y]: Point, polygon: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function distanceToSegment([x, y]: Point, [ax, ay]: Point, [bx, by]: Point): number {
  const dx = bx - ax;
  const dy = by - ay;
  const lengthSquared = dx * dx + dy * dy;
  const t = lengthSquared ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / lengthSquared)) : 0;
  return Math.hypot(x - (ax + t * dx), y - (ay + t * dy));
}

/** Distance from a point to the polygon's outline. */
export function distanceToOutline(point: Point, polygon: readonly Point[]): number {
  let best = Infinity;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) best = Math.min(best, distanceToSegment(point, polygon[j], polygon[i]));
  return best;
}

/** Shoelace formula; positive or negative by winding, so take the absolute value. */
export function polygonArea(polygon: readonly Point[]): number {
  let twice = 0;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) twice += polygon[j][0] * polygon[i][1] - polygon[i][0] * polygon[j][1];
  return Math.abs(twice) / 2;
}

/**
 * The share of a box that lies inside a polygon: the polygon clipped to the box (Sutherland-
 * Hodgman, exact for any simple polygon because the clipping box is convex), area over area.
 */
export function overlapShare(box: Box, polygon: readonly Point[]): number {
  if (box.w <= 0 || box.h <= 0) return 0;
  const edges: Array<(p: Point) => number> = [
    (p) => p[0] - box.x, (p) => box.x + box.w - p[0], (p) => p[1] - box.y, (p) => box.y + box.h - p[1],
  ];
  let clipped: Point[] = [...polygon];
  for (const signedDistance of edges) {
    const next: Point[] = [];
    for (let i = 0; i < clipped.length; i++) {
      const current = clipped[i];
      const previous = clipped[(i + clipped.length - 1) % clipped.length];
      const [dc, dp] = [signedDistance(current), signedDistance(previous)];
      if (dc >= 0 !== dp >= 0) {
        const t = dp / (dp - dc);
        next.push([previous[0] + t * (current[0] - previous[0]), previous[1] + t * (current[1] - previous[1])]);
      }
      if (dc >= 0) next.push(current);
    }
    clipped = next;
    if (!clipped.length) return 0;
  }
  return polygonArea(clipped) / (box.w * box.h);
}

/**
 * Signed distance of a point from the line through `from` -> `to`: positive on the side the
 * direction's clockwise normal points to (on screen, with y down: the right-hand side when
 * walking from `from` to `to`).
 */
export function signedDistance([x, y]: Point, line: CountingLine): number {
  const [ax, ay] = line.from;
  const [bx, by] = line.to;
  const length = Math.hypot(bx - ax, by - ay) || 1;
  return ((bx - ax) * (y - ay) - (by - ay) * (x - ax)) / length;
}

/** Whether the path from `a` to `b` passes the counting line between its two ends. */
export function crossesSegment(a: Point, b: Point, line: CountingLine): boolean {
  const side = (p: Point, q: Point, r: Point): number => Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  return side(a, b, line.from) !== side(a, b, line.to) && side(line.from, line.to, a) !== side(line.from, line.to, b);
}
