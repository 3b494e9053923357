// One quantize run as the CLI (and the benchmark) makes it: record calibration once, pick the
// range method, keep the most sensitive nodes float when the answers still drift, then the
// shadow check on held-out images. Everything is returned; nothing is written here.
import { definedOnly, describeAgreement, shadowCheck, type RangeMethod, type ShadowReport, type ShadowThresholds } from '../int8';
import { buildCorrected, type CorrectedBuild } from './bias-correction';
import {
  chooseMethod, DEFAULT_TARGET, floatCosts, meets, methodName, mixedPrecision, referenceOf, sensitivities, trial, type AgreementTarget,
} from './int8-search';
import { calibrationInputs, recordCalibration, type BuildOptions, type QuantizeReport } from './quantize';

/** Inputs the sensitivity of each node is measured on: enough to rank, few enough to be quick. */
const SENSITIVITY_INPUTS = 8;

export interface Int8SearchOptions {
  method?: RangeMethod | 'auto';
  percentile?: number;
  /** Correct int8 biases (bias-correction.ts); with `auto`, false leaves it out of the search. Default: on, or searched. */
  correctBias?: boolean;
  target?: Partial<AgreementTarget>;
  /** Keep sensitive nodes float when the target is not met (default true). */
  mixed?: boolean;
  build?: BuildOptions;
  check?: { images: Array<string | Buffer>; thresholds?: Partial<ShadowThresholds>; threads?: number };
  log?: (line: string) => void;
}

export interface Int8Search {
  report: QuantizeReport;
  method: string;
  methods?: Array<{ method: string; agreement: string; rate: number; error: number }>;
  agreement: string;
  met: boolean;
  computeNodes: number;
  float: Array<{ node: string; sensitivity: number; costMs?: number }>;
  timing?: { int8Ms: number; mixedMs: number };
  check?: ShadowReport;
  checkFile?: string;
  seconds: number;
}

export async function searchInt8(bytes: Uint8Array, images: Array<string | Buffer>, options: Int8SearchOptions = {}): Promise<Int8Search> {
  const started = Date.now();
  const log = options.log ?? ((): void => undefined);
  const target = { ...DEFAULT_TARGET, ...definedOnly(options.target ?? {}) };
  const base: CorrectedBuild = { ...options.build };
  const calibration = await recordCalibration(bytes, calibrationInputs(bytes, images), base.perChannel ?? true);
  log(`recorded ${calibration.histograms.size} activation histograms on ${calibration.inputs.length} images`);
  const reference = await referenceOf(bytes, calibration, images);
  let methods: Int8Search['methods'];
  let chosen: { method: RangeMethod; percentile?: number; correctBias: boolean };
  let best;
  if ((options.method ?? 'auto') === 'auto') {
    const choice = await chooseMethod(calibration, reference, base, target, options.correctBias);
    methods = choice.tried;
    chosen = { method: choice.method, percentile: choice.percentile, correctBias: choice.correctBias };
    best = choice.best;
  } else {
    chosen = { method: options.method as RangeMethod, percentile: options.percentile, correctBias: options.correctBias !== false };
    best = await trial(calibration, reference, { ...base, ...chosen });
  }
  Object.assign(base, chosen);
  log(`${methodName(chosen)}: ${describeAgreement(best.agreement)} on the calibration images`);
  let float: Int8Search['float'] = [];
  let met = meets(best.agreement, target);
  let timing: Int8Search['timing'];
  if (!met && options.mixed !== false) {
    log(`below the target (${target.agreement}); measuring each of ${calibration.computeNodes.length} nodes' sensitivity`);
    const ranked = await sensitivities(calibration, reference, base, SENSITIVITY_INPUTS);
    const mixed = await mixedPrecision(calibration, reference, base, ranked.map((r) => r.node), target, best);
    for (const step of mixed.steps) log(`${step.float} float: ${step.agreement}${step.met ? ' (met)' : ''}`);
    best = mixed.result;
    met = mixed.met;
    if (mixed.float.length) {
      const costs = await floatCosts(calibration, base, mixed.float);
      timing = { int8Ms: costs.int8Ms, mixedMs: costs.mixedMs };
      float = mixed.float.map((node) => ({
        node, sensitivity: ranked.find((r) => r.node === node)!.error, costMs: costs.perNode.find((c) => c.node === node)?.ms,
      }));
    }
  }
  // Built once more so that its metadata says how it was made (the same model otherwise).
  const search = { method: methodName(chosen), target, met, float: float.map((f) => f.node) };
  const final = await buildCorrected(calibration, { ...base, exclude: [...(base.exclude ?? []), ...search.float], search });
  let check: ShadowReport | undefined;
  if (options.check) {
    log(`checking fp32 against int8 on ${options.check.images.length} held-out images`);
    check = await shadowCheck(bytes, final.bytes, options.check.images, { thresholds: options.check.thresholds, threads: options.check.threads });
  }
  return {
    report: final, method: methodName(chosen), methods, agreement: describeAgreement(best.agreement), met, computeNodes: calibration.computeNodes.length,
    float, timing, check, seconds: (Date.now() - started) / 1000,
  };
}
