// Overlap of boxes (IoU) and non-maximum suppression, per class or across classes.
import type { Box } from '../image';

export interface Scored {
  classId: number;
  score: number;
  box: Box;
}

export function iou(a: Box, b: Box): number {
  const x1 = Math.max(a.x, b.x);
  const y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.w, b.x + b.w);
  const y2 = Math.min(a.y + a.h, b.y + b.h);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy non-maximum suppression, best score first. Class-aware unless `classAgnostic`:
 * a box only suppresses boxes of its own class.
 */
export function nonMaxSuppression<T extends Scored>(candidates: T[], iouThreshold: number, maxDetections: number, classAgnostic = false): T[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const candidate of sorted) {
    if (kept.length >= maxDetections) break;
    const overlaps = kept.some((k) => (classAgnostic || k.classId === candidate.classId) && iou(k.box, candidate.box) > iouThreshold);
    if (!overlaps) kept.push(candidate);
  }
  return kept;
}
