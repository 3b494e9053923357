// The quantizer's searches, all from one recorded calibration (the model's float run is never
// repeated): which range method keeps the answers best, how sensitive each compute node is
// (fp32 against fp32 with only that node quantized, on the calibration inputs), and which of the
// most sensitive nodes must stay float for int8 to agree with fp32, spending as few as possible.
import * as ort from 'onnxruntime-node';
import { alternatingMedians, answerOf, compareAnswers, inputFeed, MINIMUM_JUDGED_IMAGES, describeAgreement, judgedRate, modelTask, stableAnswers, type Agreement, type Answer, type ModelTask, type RangeMethod } from '../int8';
import { buildCorrected, type CorrectedBuild } from './bias-correction';
import { type Calibration, type QuantizeReport } from './quantize';

/** A range method, and whether biases are corrected after it (see bias-correction.ts). */
export interface MethodCandidate {
  method: RangeMethod;
  percentile?: number;
  correctBias: boolean;
}

const RANGE_METHODS: ReadonlyArray<{ method: RangeMethod; percentile?: number }> = [
  { method: 'min-max' }, { method: 'mse' }, { method: 'percentile', percentile: 99.999 }, { method: 'percentile', percentile: 99.99 }, { method: 'entropy' },
];
/**
 * What `--method auto` tries, in the order ties go: every range method with bias correction,
 * then without (correction took MobileNetV2 from 79 % to 90 % top-1 on held-out images, but cost
 * YOLOv8n-640 half a point there; the calibration images decide).
 */
export const AUTO_METHODS: ReadonlyArray<MethodCandidate> = [true, false].flatMap((correctBias) => RANGE_METHODS.map((m) => ({ ...m, correctBias })));

export interface AgreementTarget {
  /** Share of top-1s or of fp32's detections to agree on, on the calibration inputs. */
  agreement: number;
  /** Detector: new detections as a share of fp32's, at most. */
  added: number;
}
/**
 * On the calibration images, a little above what held-out images are then judged by (the shadow
 * check's 95 % and 5 %): images seen in calibration flatter the int8 model.
 */
export const DEFAULT_TARGET: AgreementTarget = { agreement: 0.96, added: 0.04 };

type Outputs = Record<string, { data: Float32Array; dims: readonly number[] }>;

const sessionOptions: ort.InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'all', logSeverityLevel: 3, extra: { session: { intra_op: { allow_spinning: '0' } } },
};

/** A model's raw outputs for every calibration input. */
async function runAll(model: Uint8Array, inputs: Float32Array[]): Promise<{ outputs: Outputs[]; names: string[] }> {
  const session = await ort.InferenceSession.create(model, sessionOptions);
  try {
    const feed = inputFeed(session);
    const outputs: Outputs[] = [];
    for (const data of inputs) {
      const result = await session.run(feed(data));
      outputs.push(Object.fromEntries(Object.entries(result).map(([name, t]) => [name, { data: Float32Array.from(t.data as Float32Array), dims: t.dims }])));
    }
    return { outputs, names: [...session.outputNames] };
  } finally {
    await session.release();
  }
}

/**
 * How far outputs moved, with every output feature weighted alike: the squared error over the
 * squared size of each slice along the short axis of a table (a detector's box coordinates in
 * pixels and its scores in 0..1 count the same), averaged over slices, outputs and inputs.
 */
export function outputError(reference: Outputs[], candidate: Outputs[]): number {
  let total = 0;
  let terms = 0;
  reference.forEach((outputs, k) => {
    for (const [name, a] of Object.entries(outputs)) {
      const b = candidate[k][name].data;
      const dims = a.dims.length ? [...a.dims] : [1];
      const candidates = dims.map((d, axis) => ({ d, axis })).filter(({ d }) => d > 1);
      // A vector (a classifier's scores) is one slice; a table is sliced along its short axis.
      const { axis } = candidates.length > 1 ? candidates.reduce((x, y) => (y.d < x.d ? y : x)) : { axis: 0 };
      const slices = candidates.length > 1 ? dims[axis] : 1;
      const inner = dims.slice(axis + 1).reduce((x, y) => x * y, 1);
      const error = new Float64Array(slices);
      const size = new Float64Array(slices);
      for (let i = 0; i < a.data.length; i++) {
        const s = Math.floor(i / inner) % slices;
        error[s] += (a.data[i] - b[i]) ** 2;
        size[s] += a.data[i] ** 2;
      }
      for (let s = 0; s < slices; s++) {
        total += error[s] / (size[s] || 1e-12);
        terms++;
      }
    }
  });
  return terms ? total / terms : 0;
}

/** The float model's answers and outputs on the calibration inputs, worked out once per search. */
export interface Reference {
  task: ModelTask;
  outputs: Outputs[];
  answers: Answer[];
  names: string[];
  /** Classifier: the calibration images whose fp32 top-1 survives a JPEG re-encode. */
  stable?: boolean[];
}

/** `images`: the calibration images themselves, for a classifier's stable answers. */
export async function referenceOf(fp32: Uint8Array, calibration: Calibration, images?: Array<Buffer | string>): Promise<Reference> {
  const task = modelTask(fp32);
  const { outputs, names } = await runAll(calibration.prepared, calibration.inputs);
  const answers = outputs.map((o) => answerOf(task, o, names));
  let stable: boolean[] | undefined;
  if (task.kind === 'classification' && images?.length === calibration.inputs.length) {
    const session = await ort.InferenceSession.create(calibration.prepared, sessionOptions);
    try {
      stable = await stableAnswers(session, fp32, task, images, answers, inputFeed(session));
    } finally {
      await session.release();
    }
  }
  return { task, outputs, names, answers, stable };
}

export interface Trial {
  report: QuantizeReport;
  agreement: Agreement;
  error: number;
}

/** Build with `options` and measure the result against the float model on the calibration inputs. */
export async function trial(calibration: Calibration, reference: Reference, options: CorrectedBuild): Promise<Trial> {
  const report = await buildCorrected(calibration, options);
  const { outputs } = await runAll(report.bytes, calibration.inputs);
  const answers = outputs.map((o) => answerOf(reference.task, o, reference.names));
  return { report, agreement: compareAnswers(reference.answers.map((a, i) => [a, answers[i]] as const), reference.stable), error: outputError(reference.outputs, outputs) };
}

export const meets = (a: Agreement, target: AgreementTarget): boolean => judgedRate(a) >= target.agreement && (a.kind !== 'detection' || (a.addedRate ?? 0) <= target.added);

/** Agreement less new detections: one number to rank trials by. */
const score = (t: Trial): number => judgedRate(t.agreement) - (t.agreement.addedRate ?? 0);

/** Better: meets the target, then agrees more, then moves the outputs less. */
function better(a: Trial, b: Trial, target: AgreementTarget): boolean {
  if (meets(a.agreement, target) !== meets(b.agreement, target)) return meets(a.agreement, target);
  if (Math.abs(score(a) - score(b)) > 1e-9) return score(a) > score(b);
  return a.error < b.error;
}

export interface MethodChoice extends MethodCandidate {
  tried: Array<{ method: string; agreement: string; rate: number; error: number }>;
  best: Trial;
}

export const methodName = (m: { method: RangeMethod; percentile?: number; correctBias?: boolean }): string =>
  `${m.method === 'percentile' ? `percentile ${m.percentile}` : m.method}${m.correctBias === false ? '' : ' + bias correction'}`;

/** Every method on the same histograms; the one whose int8 model agrees best wins. */
export async function chooseMethod(
  calibration: Calibration, reference: Reference, base: CorrectedBuild, target: AgreementTarget = DEFAULT_TARGET, correctBias?: boolean,
): Promise<MethodChoice> {
  let best: (MethodChoice['best'] & MethodCandidate) | undefined;
  const tried: MethodChoice['tried'] = [];
  for (const candidate of AUTO_METHODS.filter((m) => correctBias === undefined || m.correctBias === correctBias)) {
    const result = await trial(calibration, reference, { ...base, ...candidate });
    tried.push({ method: methodName(candidate), agreement: describeAgreement(result.agreement), rate: result.agreement.rate, error: result.error });
    if (!best || better(result, best, target)) best = { ...result, ...candidate };
  }
  return { method: best!.method, percentile: best!.percentile, correctBias: best!.correctBias, tried, best: best! };
}

/** Each compute node's sensitivity: the output error with only that node in int8. */
export async function sensitivities(calibration: Calibration, reference: Reference, base: CorrectedBuild, limit = calibration.inputs.length): Promise<Array<{ node: string; error: number }>> {
  const inputs = calibration.inputs.slice(0, limit);
  const outputs = reference.outputs.slice(0, limit);
  const found: Array<{ node: string; error: number }> = [];
  const excluded = new Set(base.exclude ?? []);
  for (const node of calibration.computeNodes.filter((n) => !excluded.has(n))) {
    const report = await buildCorrected(calibration, { ...base, only: [node], exclude: [] });
    found.push({ node, error: outputError(outputs, (await runAll(report.bytes, inputs)).outputs) });
  }
  return found.sort((a, b) => b.error - a.error);
}

export interface MixedPrecision {
  /** Compute nodes kept in float, most sensitive first. */
  float: string[];
  result: Trial;
  met: boolean;
  /** Trials on the way: how many float nodes, and what they gave. */
  steps: Array<{ float: number; agreement: string; met: boolean }>;
}

/**
 * The fewest of the most sensitive nodes to keep in float for the target: doubling the count
 * until it is met, then halving the gap. Gives up at `maxShare` of the compute nodes (the
 * model would be float in all but name) and returns the best it found, if that is better
 * than all-int8 by more than chance.
 */
export async function mixedPrecision(
  calibration: Calibration, reference: Reference, base: CorrectedBuild, ranked: string[], target: AgreementTarget, start: Trial, maxShare = 0.25,
): Promise<MixedPrecision> {
  const steps: MixedPrecision['steps'] = [];
  if (meets(start.agreement, target)) return { float: [], result: start, met: true, steps };
  // One node only: keeping it float leaves nothing in int8.
  if (ranked.length < 2) return { float: [], result: start, met: false, steps };
  const cap = Math.max(1, Math.min(ranked.length - 1, Math.floor(ranked.length * maxShare)));
  const cache = new Map<number, Trial>([[0, start]]);
  const at = async (k: number): Promise<Trial> => {
    if (!cache.has(k)) {
      const t = await trial(calibration, reference, { ...base, exclude: [...(base.exclude ?? []), ...ranked.slice(0, k)] });
      cache.set(k, t);
      steps.push({ float: k, agreement: describeAgreement(t.agreement), met: meets(t.agreement, target) });
    }
    return cache.get(k)!;
  };
  let low = 0;
  let high = 1;
  while (high < cap && !meets((await at(high)).agreement, target)) [low, high] = [high, Math.min(cap, high * 2)];
  if (!meets((await at(high)).agreement, target)) {
    // Not met: float nodes cost speed, so they are kept only for a gain the calibration images
    // can tell from chance (two standard errors of the agreement rate).
    const best = [...cache.entries()].reduce((x, y) => (better(y[1], x[1], target) ? y : x));
    const n = (start.agreement.stable ?? 0) >= MINIMUM_JUDGED_IMAGES ? start.agreement.stable! : start.agreement.of;
    const p = judgedRate(start.agreement);
    const noise = 2 * Math.sqrt((p * (1 - p)) / Math.max(1, n));
    const gain = score(best[1]) - score(start);
    return gain > noise ? { float: ranked.slice(0, best[0]), result: best[1], met: false, steps } : { float: [], result: start, met: false, steps };
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (meets((await at(middle)).agreement, target)) high = middle;
    else low = middle;
  }
  return { float: ranked.slice(0, high), result: await at(high), met: true, steps };
}

/**
 * What keeping each float node costs: bare run time with it float against the all-int8 model.
 * All variants are loaded together and run in turn, round after round, so that drift on a
 * shared machine hits them alike; medians per variant.
 */
export async function floatCosts(calibration: Calibration, base: CorrectedBuild, float: string[], rounds = 40): Promise<{ int8Ms: number; mixedMs: number; perNode: Array<{ node: string; ms: number }> }> {
  const variants: Uint8Array[] = [];
  for (const extra of [[], float, ...float.map((node) => [node])]) variants.push((await buildCorrected(calibration, { ...base, exclude: [...(base.exclude ?? []), ...extra] })).bytes);
  const sessions = [];
  try {
    for (const bytes of variants) sessions.push(await ort.InferenceSession.create(bytes, sessionOptions));
    const [int8Ms, mixedMs, ...each] = await alternatingMedians(sessions, calibration.inputs[0], rounds);
    return { int8Ms, mixedMs, perNode: float.map((node, i) => ({ node, ms: Math.round((each[i] - int8Ms) * 1000) / 1000 })) };
  } finally {
    for (const session of sessions) await session.release();
  }
}
