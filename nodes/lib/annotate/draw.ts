// Drawing what a model saw onto the frame: boxes with labels and scores, and points (face
// landmarks, keypoints), as one SVG laid over the image by sharp. The drawing list uses the
// msg.annotations shape of node-red-node-annotate-image, so flows built for that node work here
// and our detections work there.
import { EdgeAiError, describeValue } from '../errors';
import { openImage, type Box, type FrameInfo } from '../image';
import { COCO_KEYPOINTS, COCO_SKELETON, type Detection } from '../decode';

/**
 * One drawing instruction, as node-red-node-annotate-image reads them, plus our own 'line'
 * (a polyline through `points`), which only this package's annotate node draws.
 */
export interface Annotation {
  type?: 'rect' | 'circle' | 'line' | 'polygon';
  /** [x, y, w, h] for a rect; [x, y, r] or [cx, cy] for a circle. */
  bbox?: number[];
  /** [[x, y], ...] for a line or a polygon (which closes by itself). */
  points?: number[][];
  x?: number;
  y?: number;
  w?: number;
  h?: number;
  r?: number;
  label?: string;
  stroke?: string;
  lineWidth?: number;
  fontSize?: number;
  fontColor?: string;
}

/** Keypoints the model is less sure of than this are not drawn. */
const KEYPOINT_MIN_SCORE = 0.3;
const shown = (p: { score?: number }): boolean => p.score === undefined || p.score >= KEYPOINT_MIN_SCORE;

/** Distinct colours that read on light and dark scenes; a class keeps its colour. */
const PALETTE = ['#ff3838', '#ff9d97', '#ff701f', '#ffb21d', '#cfd231', '#48f90a', '#92cc17', '#3ddb86', '#1a9334', '#00d4bb',
  '#2c99a8', '#00c2ff', '#344593', '#6473ff', '#0018ec', '#8438ff', '#520085', '#cb38ff', '#ff95c8', '#ff37c7'];

export function colourFor(classId: number): string {
  return PALETTE[((classId % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/**
 * Detections as annotations: a labelled rect each and a small circle per point, and with
 * `limbs` the lines of a COCO pose skeleton (left out of msg.annotations, which other nodes read).
 */
export function annotationsFrom(detections: readonly Detection[], showScores = true, limbs = false): Annotation[] {
  const annotations: Annotation[] = [];
  detections.forEach((d, index) => {
    const box = d.box as Partial<Detection['box']> | null;
    if (!box || typeof box !== 'object' || ![box.x, box.y, box.w, box.h].every(finite)) {
      throw new EdgeAiError('badDetection', { index, reason: `its box must be {x, y, w, h} in numbers, not ${describeValue(box)}` });
    }
    if (typeof d.score !== 'number' || !Number.isFinite(d.score)) throw new EdgeAiError('badDetection', { index, reason: `its score must be a number, not ${describeValue(d.score)}` });
    const stroke = colourFor(Number.isInteger(d.classId) ? d.classId : 0);
    const { x, y, w, h } = d.box;
    const name = d.trackId === undefined ? d.label : `${d.label} #${d.trackId}`;
    annotations.push({ type: 'rect', bbox: [x, y, w, h], label: showScores ? `${name} ${Math.round(d.score * 100)}%` : name, stroke });
    const points = d.points ?? [];
    if (limbs && points.length === COCO_KEYPOINTS.length && points[0].name === COCO_KEYPOINTS[0]) {
      for (const [a, b] of COCO_SKELETON) {
        if (shown(points[a]) && shown(points[b])) annotations.push({ type: 'line', points: [[points[a].x, points[a].y], [points[b].x, points[b].y]], stroke });
      }
    }
    for (const p of points) if (shown(p)) annotations.push({ type: 'circle', x: p.x, y: p.y, r: 0, stroke });
  });
  return annotations;
}

/** What edge-ai-trigger puts on msg.zones and msg.lines (frame pixels). */
export interface ZoneOverlay {
  name: string;
  points: number[][];
  count?: number;
}

export interface LineOverlay {
  name: string;
  from: number[];
  to: number[];
  directions?: string[];
  totals?: Record<string, number>;
}

const ZONE_COLOUR = '#00c2ff';
const LINE_COLOUR = '#ffb21d';

/**
 * Zones as outlined, lightly filled polygons with their name and count; counting lines with
 * their totals per direction and a short arrow towards the first direction's side.
 */
export function overlaysFrom(zones: unknown, lines: unknown): Annotation[] {
  const out: Annotation[] = [];
  for (const z of Array.isArray(zones) ? zones as ZoneOverlay[] : []) {
    if (!Array.isArray(z?.points)) continue;
    out.push({ type: 'polygon', points: z.points, stroke: ZONE_COLOUR, label: z.count === undefined ? z.name : `${z.name}: ${z.count}` });
  }
  for (const l of Array.isArray(lines) ? lines as LineOverlay[] : []) {
    if (!Array.isArray(l?.from) || !Array.isArray(l?.to)) continue;
    const totals = l.directions?.map((d) => `${d} ${l.totals?.[d] ?? 0}`).join(' · ');
    // Labelled at its end, away from a zone label at the same start.
    out.push({ type: 'line', points: [l.to, l.from], stroke: LINE_COLOUR, label: totals ? `${l.name}: ${totals}` : l.name });
    const [mx, my] = [(l.from[0] + l.to[0]) / 2, (l.from[1] + l.to[1]) / 2];
    const [dx, dy] = [l.to[0] - l.from[0], l.to[1] - l.from[1]];
    const length = Math.hypot(dx, dy) || 1;
    const reach = Math.max(12, length / 10);
    out.push({ type: 'line', points: [[mx, my], [mx - (dy / length) * reach, my + (dx / length) * reach]], stroke: LINE_COLOUR });
  }
  return out;
}

export interface DrawOptions {
  /** Line width and font size; 0 picks them from the image size. */
  lineWidth: number;
  fontSize: number;
  quality: number;
  /** Largest frame decoded. */
  maxPixels?: number;
}

/** Text for the SVG: markup characters escaped, control characters (which no XML may hold) made spaces. */
const escapeXml = (text: string): string => text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ').replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Longest label drawn, and longest colour text taken: a huge one would hold up every frame behind it. */
const MAX_LABEL = 120;
const MAX_COLOUR = 40;
/** Most annotations drawn on one frame: the SVG of more would hold up the frames behind it. */
const MAX_ANNOTATIONS = 5000;
const shortened = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);

/** The SVG of the annotations over a width x height image. */
export function annotationSvg(annotations: readonly Annotation[], width: number, height: number, options: Pick<DrawOptions, 'lineWidth' | 'fontSize'>): string {
  const shortSide = Math.min(width, height);
  const autoLine = Math.max(2, Math.round(shortSide / 240));
  const autoFont = Math.max(12, Math.round(shortSide / 36));
  const parts: string[] = [];
  if (annotations.length > MAX_ANNOTATIONS) {
    throw new EdgeAiError('badAnnotation', { index: MAX_ANNOTATIONS, reason: `a frame takes at most ${MAX_ANNOTATIONS} annotations, not ${annotations.length}` });
  }
  annotations.forEach((a, index) => {
    if (!a || typeof a !== 'object') throw new EdgeAiError('badAnnotation', { index, reason: `expected an object, received ${describeValue(a)}` });
    const stroke = escapeXml(shortened(String(a.stroke ?? '#ffc000'), MAX_COLOUR));
    const line = finite(a.lineWidth) && a.lineWidth > 0 ? a.lineWidth : options.lineWidth || autoLine;
    const font = finite(a.fontSize) && a.fontSize > 0 ? a.fontSize : options.fontSize || autoFont;
    const type = a.type ?? 'rect';
    if (type === 'line' || type === 'polygon') {
      const points = a.points;
      const least = type === 'line' ? 2 : 3;
      if (!Array.isArray(points) || points.length < least || !points.every((p) => Array.isArray(p) && p.length === 2 && p.every(finite))) {
        throw new EdgeAiError('badAnnotation', { index, reason: `a ${type} needs points [[x, y], [x, y], ...], ${least} at least` });
      }
      const list = points.map((p) => p.join(',')).join(' ');
      parts.push(type === 'line'
        ? `<polyline points="${list}" fill="none" stroke="${stroke}" stroke-width="${line}" stroke-linecap="round" stroke-linejoin="round"/>`
        : `<polygon points="${list}" fill="${stroke}" fill-opacity="0.15" stroke="${stroke}" stroke-width="${line}" stroke-linejoin="round"/>`);
      if (a.label) parts.push(labelTab(String(a.label), points[0][0], points[0][1] + Math.round(font * 1.3), stroke, font, line, width, a.fontColor));
      return;
    }
    if (a.bbox !== undefined && !Array.isArray(a.bbox)) throw new EdgeAiError('badAnnotation', { index, reason: `bbox must be a list of numbers, not ${describeValue(a.bbox)}` });
    if (type === 'circle') {
      const [cx, cy, r] = a.bbox ?? [a.x, a.y, a.r];
      if (!finite(cx) || !finite(cy)) throw new EdgeAiError('badAnnotation', { index, reason: 'a circle needs x and y (or bbox)' });
      const radius = finite(r) && r > 0 ? r : line * 1.5;
      parts.push(`<circle cx="${cx}" cy="${cy}" r="${radius}" fill="${stroke}" stroke="#000" stroke-width="${Math.max(1, line / 2)}"/>`);
      return;
    }
    const corners = a.bbox ?? [a.x, a.y, a.w, a.h];
    if (!corners.every(finite) || corners.length !== 4) {
      throw new EdgeAiError('badAnnotation', { index, reason: 'a rect needs bbox [x, y, w, h] (or x, y, w and h)' });
    }
    const [x, y, w, h] = corners as number[];
    parts.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${stroke}" stroke-width="${line}"/>`);
    if (a.label) parts.push(labelTab(String(a.label), x, y, stroke, font, line, width, a.fontColor));
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** Anything with a box is meant as a detection (and checked as one, so a bad box is named, not skipped). */
const isDetection = (d: unknown): d is Detection => typeof d === 'object' && d !== null && 'box' in d;

/** Detections in msg.payload as a list, or undefined when it holds something else. */
export function detectionsIn(payload: unknown): Detection[] | undefined {
  return Array.isArray(payload) && payload.every(isDetection) ? payload : undefined;
}

/**
 * A label on a filled tab whose bottom-left corner is at (x, y), or just below y when there is
 * no room above; kept inside the image's width.
 */
function labelTab(text: string, x: number, y: number, stroke: string, font: number, line: number, width: number, fontColor?: string): string {
  const label = shortened(text, MAX_LABEL);
  const tabHeight = Math.round(font * 1.3);
  const tabWidth = Math.round(label.length * font * 0.6 + font * 0.6);
  const tabX = Math.min(Math.max(0, x - line / 2), Math.max(0, width - tabWidth));
  const tabY = y - tabHeight >= 0 ? y - tabHeight : y;
  return `<rect x="${tabX}" y="${tabY}" width="${tabWidth}" height="${tabHeight}" fill="${stroke}"/>`
    + `<text x="${tabX + font * 0.3}" y="${tabY + font}" font-family="sans-serif" font-size="${font}" fill="${escapeXml(shortened(String(fontColor ?? '#000'), MAX_COLOUR))}">${escapeXml(label)}</text>`;
}

/** What to draw: the detections in msg.payload, else the msg.annotations list. */
export function drawingFor(payload: unknown, annotations: unknown, showScores: boolean): Annotation[] {
  const detections = detectionsIn(payload);
  if (detections?.length) return annotationsFrom(detections, showScores, true);
  if (Array.isArray(annotations)) return annotations as Annotation[];
  // A frame where nothing was found still goes out, undrawn.
  if (detections) return [];
  throw new EdgeAiError('noDrawing', { received: describeValue(payload) });
}

/** The frame (msg.image, described by msg.frame) with the annotations drawn on, as JPEG. */
export async function drawAnnotations(image: unknown, frame: FrameInfo | undefined, annotations: readonly Annotation[], options: DrawOptions): Promise<Buffer> {
  // The same opening as preprocess, so boxes land in the same (orientation-corrected) pixels.
  const opened = await openImage(image, frame, options.maxPixels).catch((err: unknown) => {
    throw err instanceof EdgeAiError && err.code === 'notImage' ? new EdgeAiError('noFrame', { received: describeValue(image) }) : err;
  });
  const svg = annotationSvg(annotations, opened.width, opened.height, options);
  return opened.image.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]).jpeg({ quality: options.quality }).toBuffer();
}
