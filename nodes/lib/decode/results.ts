// What decoders give: classes with scores, and detections with boxes in source pixels. One
// type each for the whole engine: the trigger tracks Detections and annotate draws them.
import type { Box } from '../image';

export interface Classification {
  label: string;
  classId: number;
  score: number;
}

export interface Detection {
  label: string;
  classId: number;
  score: number;
  box: Box;
  /** Landmarks or keypoints, for the models that give them. */
  points?: Point[];
  /** Set by edge-ai-trigger when the detection belongs to a confirmed track. */
  trackId?: number;
}

/** A landmark or keypoint; pose keypoints carry their name and visibility score. */
export interface Point {
  x: number;
  y: number;
  score?: number;
  name?: string;
}

