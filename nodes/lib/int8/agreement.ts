// Whether an int8 model says what its float original says, on the same inputs: the same top-1
// class for a classifier; for a detector, fp32's detections found again (same class, IoU >= 0.5,
// both at the model node's own thresholds), the new ones int8 adds, and how far its keypoints
// move. Shared by the quantizer's search, the shadow check and the benchmark. A model whose
// outputs the node does not decode ("raw") has no answers: there only the output error counts.
import { decodeDetections, iou, toProbabilities, type Detection, type DetectorSetup } from '../decode';
import { detectorSetup, examineModel, inputGeometry, type DoctorReport } from '../model';
import { readOnnxModelInfo } from '../onnx';

/** What the model node answers with, decoded the same way, in the model's input pixels. */
export type ModelTask =
  | { kind: 'classification' }
  | { kind: 'detection'; setup: DetectorSetup; confidence: number; iou: number }
  /** Outputs the model node does not decode: only how far they move can be measured. */
  | { kind: 'raw' };

export type Answer =
  | { kind: 'classification'; top1: number; probabilities: Float32Array }
  | { kind: 'detection'; detections: Detection[] }
  | { kind: 'raw' };

/** The infer node's defaults: what a detection is at all. */
export const DETECTION_THRESHOLDS = { confidence: 0.25, iou: 0.45 };
/** Same object: same class and IoU at least this. */
export const SAME_OBJECT_IOU = 0.5;

type Outputs = Record<string, { data: ArrayLike<number> | Float32Array; dims: readonly number[] }>;

/** How a model's outputs become answers, worked out from the model file as the model node does. */
export function modelTask(bytes: Uint8Array, thresholds = DETECTION_THRESHOLDS): ModelTask {
  const onnx = readOnnxModelInfo(bytes);
  const doctor: DoctorReport = examineModel(onnx);
  if (doctor.task === 'classification') return { kind: 'classification' };
  if (doctor.task !== 'detection') return { kind: 'raw' };
  return { kind: 'detection', setup: detectorSetup('auto', doctor, onnx.outputs, inputGeometry('model', onnx.inputs)), ...thresholds };
}

/** One run's outputs as the answer the model node would give. */
export function answerOf(task: ModelTask, outputs: Outputs, outputNames: readonly string[]): Answer {
  if (task.kind === 'raw') return task;
  if (task.kind === 'classification') {
    const probabilities = toProbabilities(Float32Array.from(outputs[outputNames[0]].data as ArrayLike<number>));
    let top1 = 0;
    for (let i = 1; i < probabilities.length; i++) if (probabilities[i] > probabilities[top1]) top1 = i;
    return { kind: 'classification', top1, probabilities };
  }
  // The decoders rewrite some outputs in place: each gets its own copy.
  const copies = Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, { data: Float32Array.from(t.data as ArrayLike<number>), dims: [...t.dims] }]));
  const options = { confidence: task.confidence, iou: task.iou, maxDetections: 300, classAgnostic: false };
  return { kind: 'detection', detections: decodeDetections(copies, task.setup, options, undefined) };
}

export interface Agreement {
  /** raw: nothing decoded to agree on; every input counts as agreed. */
  kind: 'classification' | 'detection' | 'raw';
  inputs: number;
  /** Classifier: inputs with the same top-1. Detector: fp32's detections int8 found again. */
  agreed: number;
  /** Classifier: inputs. Detector: fp32's detections. */
  of: number;
  /** agreed / of (1 when there is nothing to agree on). */
  rate: number;
  /** Detector: int8's detections fp32 does not have, and their share of fp32's count. */
  added?: number;
  addedRate?: number;
  /** Keypoints of matched detections: mean distance over the detection's box diagonal. */
  keypointError?: number;
  /** Classifier: mean over inputs of |p_fp32 - p_int8| at fp32's top-1 class. */
  top1ProbabilityChange?: number;
  /**
   * Classifier: the inputs where fp32 keeps its own top-1 when the image is moved by two
   * pixels and re-encoded as a JPEG of quality 90 (an answer that changes no one can see leave
   * alone), and how many of those int8 agrees on. Elsewhere fp32 has no answer of its own.
   */
  stable?: number;
  stableAgreed?: number;
  stableRate?: number;
  /**
   * Classifier: the inputs where fp32's top-1 leads its second class by CLEAR_LEAD or more in
   * probability, and how many of those int8 agrees on (between two near-equal classes, either
   * answer is fp32's too).
   */
  clear?: number;
  clearAgreed?: number;
}

/** A top-1 probability lead over the second class that no rounding noise overturns (measured on MobileNetV2: README). */
export const CLEAR_LEAD = 0.1;

/** How far fp32's top-1 leads its second class. */
function lead(probabilities: Float32Array, top1: number): number {
  let second = 0;
  for (let i = 0; i < probabilities.length; i++) if (i !== top1 && probabilities[i] > second) second = probabilities[i];
  return probabilities[top1] - second;
}

/** fp32's detections matched to int8's one to one: best score first, then highest IoU. */
export function matchDetections(reference: Detection[], candidate: Detection[]): { pairs: Array<[Detection, Detection]>; unmatched: number } {
  const free = new Set(candidate);
  const pairs: Array<[Detection, Detection]> = [];
  for (const d of [...reference].sort((a, b) => b.score - a.score)) {
    let best: Detection | undefined;
    let bestIou = SAME_OBJECT_IOU;
    for (const c of free) {
      if (c.classId !== d.classId) continue;
      const overlap = iou(d.box, c.box);
      if (overlap >= bestIou) [best, bestIou] = [c, overlap];
    }
    if (best) {
      free.delete(best);
      pairs.push([d, best]);
    }
  }
  return { pairs, unmatched: free.size };
}

/** How far matched keypoints moved, over each box's diagonal. */
function keypointDrift(pairs: Array<[Detection, Detection]>): number | undefined {
  const errors: number[] = [];
  for (const [a, b] of pairs) {
    if (!a.points?.length || a.points.length !== b.points?.length) continue;
    const diagonal = Math.hypot(a.box.w, a.box.h) || 1;
    a.points.forEach((p, i) => errors.push(Math.hypot(p.x - b.points![i].x, p.y - b.points![i].y) / diagonal));
  }
  return errors.length ? errors.reduce((s, e) => s + e, 0) / errors.length : undefined;
}

/** Agreement over pairs of answers (fp32 first) to the same inputs; `stable` marks the inputs fp32 answers stably. */
export function compareAnswers(pairs: ReadonlyArray<readonly [Answer, Answer]>, stable?: readonly boolean[]): Agreement {
  const kind = pairs[0]?.[0].kind ?? 'classification';
  if (kind === 'raw') return { kind, inputs: pairs.length, agreed: pairs.length, of: pairs.length, rate: 1 };
  if (kind === 'classification') {
    let agreed = 0;
    let change = 0;
    for (const [a, b] of pairs) {
      if (a.kind !== 'classification' || b.kind !== 'classification') throw new Error('answers of different kinds');
      if (a.top1 === b.top1) agreed++;
      change += Math.abs(a.probabilities[a.top1] - (b.probabilities[a.top1] ?? 0));
    }
    const result: Agreement = { kind, inputs: pairs.length, agreed, of: pairs.length, rate: pairs.length ? agreed / pairs.length : 1, top1ProbabilityChange: pairs.length ? change / pairs.length : 0 };
    const clear = pairs.filter(([a]) => a.kind === 'classification' && lead(a.probabilities, a.top1) >= CLEAR_LEAD);
    result.clear = clear.length;
    result.clearAgreed = clear.filter(([a, b]) => (a as { top1: number }).top1 === (b as { top1: number }).top1).length;
    if (stable) {
      const kept = pairs.filter((_, i) => stable[i]);
      result.stable = kept.length;
      result.stableAgreed = kept.filter(([a, b]) => (a as { top1: number }).top1 === (b as { top1: number }).top1).length;
      if (kept.length) result.stableRate = result.stableAgreed / kept.length;
    }
    return result;
  }
  let agreed = 0;
  let of = 0;
  let added = 0;
  const matched: Array<[Detection, Detection]> = [];
  for (const [a, b] of pairs) {
    if (a.kind !== 'detection' || b.kind !== 'detection') throw new Error('answers of different kinds');
    const { pairs: found, unmatched } = matchDetections(a.detections, b.detections);
    agreed += found.length;
    of += a.detections.length;
    added += unmatched;
    matched.push(...found);
  }
  return {
    kind, inputs: pairs.length, agreed, of, rate: of ? agreed / of : 1, added, addedRate: of ? added / of : added ? 1 : 0, keypointError: keypointDrift(matched),
  };
}

/** Fewer images than this prove nothing either way (held-out, or where fp32 is sure). */
export const MINIMUM_JUDGED_IMAGES = 8;

/**
 * The share a target is judged on: a classifier's images where fp32 is sure, when there are
 * enough of them to judge by; otherwise every image (the stricter measure).
 */
export const judgedRate = (a: Agreement): number => (a.stableRate !== undefined && (a.stable ?? 0) >= MINIMUM_JUDGED_IMAGES ? a.stableRate : a.rate);

/** One line for logs and reports: "97/100 same top-1" or "52/54 detections kept, 1 new". */
export function describeAgreement(a: Agreement): string {
  if (a.kind === 'raw') return `raw outputs on ${a.inputs} inputs (nothing decoded to agree on)`;
  if (a.kind === 'classification') {
    const stable = a.stable === undefined ? '' : `; ${a.stableAgreed}/${a.stable} (${(100 * (a.stableRate ?? 1)).toFixed(1)} %) where fp32 is sure (keeps its top-1 when moved 2 px)`;
    const clear = !a.clear ? '' : `; ${a.clearAgreed}/${a.clear} where fp32 leads by ${CLEAR_LEAD} or more`;
    return `${a.agreed}/${a.of} same top-1 (${(100 * a.rate).toFixed(1)} %)${stable}${clear}`;
  }
  const keypoints = a.keypointError === undefined ? '' : `, keypoints moved ${(100 * a.keypointError).toFixed(1)} % of the box`;
  return `${a.agreed}/${a.of} detections kept (${(100 * a.rate).toFixed(1)} %), ${a.added} new (${(100 * (a.addedRate ?? 0)).toFixed(1)} %)${keypoints}`;
}
