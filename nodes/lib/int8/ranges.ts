// The range an activation tensor is quantized over, chosen from a histogram of the values it
// took on the calibration inputs: recorded once, then every method reads the same histogram, so
// trying another method never runs the model again.
// - min-max: every value seen (one outlier stretches the scale for all the rest);
// - percentile: the values between the (100 - p)th and pth percentiles;
// - entropy: TensorRT's KL-divergence search, here over each end of the range in turn (uint8
//   activations are asymmetric, TensorRT's int8 ones are symmetric);
// - mse: the range whose rounding plus clipping error over the histogram is least.
// The quantizer keeps min-max for the tensors that leave int8 for float code (a detector's
// scores, a classifier's logits): there the rare extreme values are the answer, and a method
// that trades them for finer steps elsewhere loses exactly the detections that matter.

export type RangeMethod = 'min-max' | 'percentile' | 'entropy' | 'mse';
export const RANGE_METHODS: readonly RangeMethod[] = ['min-max', 'percentile', 'entropy', 'mse'];

export interface Range {
  min: number;
  max: number;
}

/** Bins over the tensor's whole range; TensorRT's entropy calibrator uses the same count. */
export const HISTOGRAM_BINS = 2048;
/** The narrowest range a search tries: 1/16 of the recorded one (TensorRT's 128 of 2048 bins). */
const SMALLEST_SHARE = 1 / 16;
const SEARCH_STEPS = 120;
const LEVELS = 256;

/** Counts of values in equal bins over [min, max], which always holds zero (zero must be exact). */
export class ValueHistogram {
  readonly min: number;
  readonly max: number;
  readonly counts: Float64Array;

  constructor(range: Range, bins = HISTOGRAM_BINS) {
    this.min = Math.min(range.min, 0);
    this.max = Math.max(range.max, 0);
    this.counts = new Float64Array(bins);
  }

  add(values: ArrayLike<number>): void {
    const bins = this.counts.length;
    const width = this.max - this.min;
    if (!(width > 0)) {
      this.counts[0] += values.length;
      return;
    }
    const perUnit = bins / width;
    for (let i = 0; i < values.length; i++) {
      const bin = Math.floor((values[i] - this.min) * perUnit);
      this.counts[bin < 0 ? 0 : bin >= bins ? bins - 1 : bin]++;
    }
  }

  get total(): number {
    return this.counts.reduce((a, b) => a + b, 0);
  }

  /** The value below which `share` of the counts lie (linear within a bin). */
  quantile(share: number): number {
    const target = share * this.total;
    const width = (this.max - this.min) / this.counts.length;
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      if (seen + this.counts[i] >= target) return this.min + width * (i + (this.counts[i] ? (target - seen) / this.counts[i] : 0));
      seen += this.counts[i];
    }
    return this.max;
  }

  center(bin: number): number {
    return this.min + ((bin + 0.5) * (this.max - this.min)) / this.counts.length;
  }
}

/** uint8 scale and zero point covering the range (and zero, which must be exact). */
export function uint8Parameters(range: Range): { scale: number; zeroPoint: number } {
  const min = Math.min(range.min, 0);
  const max = Math.max(range.max, 0);
  const scale = max > min ? (max - min) / 255 : 1;
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-min / scale))) };
}

/** The uint8 level a value lands on in `range`. */
function level(value: number, scale: number, zeroPoint: number): number {
  const q = Math.round(value / scale) + zeroPoint;
  return q < 0 ? 0 : q > 255 ? 255 : q;
}

/** The recorded range with one end (or both) moved toward zero by shares from 1 down to 1/16. */
function shrunk(h: ValueHistogram, from: Range, side: 'min' | 'max'): Range[] {
  const ranges: Range[] = [];
  for (let step = 0; step <= SEARCH_STEPS; step++) {
    const share = 1 - ((1 - SMALLEST_SHARE) * step) / SEARCH_STEPS;
    ranges.push(side === 'min' ? { min: h.min * share, max: from.max } : { min: from.min, max: h.max * share });
  }
  return ranges;
}

/** Each end in turn (the larger first), twice: cheaper than every pair, and ends rarely interact. */
function search(h: ValueHistogram, cost: (r: Range) => number): Range {
  let range: Range = { min: h.min, max: h.max };
  const sides: Array<'min' | 'max'> = -h.min > h.max ? ['min', 'max'] : ['max', 'min'];
  for (let round = 0; round < 2; round++) {
    for (const side of sides) if ((side === 'min' ? h.min : h.max) !== 0) range = least(shrunk(h, range, side), cost);
  }
  return range;
}

/** Squared error of rounding (inside) and clipping (outside) every counted value into `range`. */
export function quantizationError(h: ValueHistogram, range: Range): number {
  const { scale, zeroPoint } = uint8Parameters(range);
  let error = 0;
  for (let i = 0; i < h.counts.length; i++) {
    if (!h.counts[i]) continue;
    const x = h.center(i);
    const back = (level(x, scale, zeroPoint) - zeroPoint) * scale;
    error += h.counts[i] * (x - back) ** 2;
  }
  return error;
}

/**
 * KL divergence between the histogram clipped to `range` (outliers piled into the edge bins) and
 * its quantized copy made from the bins inside only (each level's count spread evenly over the
 * non-empty bins it covers), as TensorRT's calibrator compares them: clipping many outliers costs.
 */
export function clippingDivergence(h: ValueHistogram, range: Range): number {
  const { scale, zeroPoint } = uint8Parameters(range);
  const width = (h.max - h.min) / h.counts.length;
  const first = Math.max(0, Math.floor((range.min - h.min) / width + 1e-9));
  const last = Math.min(h.counts.length - 1, Math.ceil((range.max - h.min) / width - 1e-9) - 1);
  const inside = h.counts.slice(first, last + 1);
  const reference = Float64Array.from(inside);
  for (let i = 0; i < first; i++) reference[0] += h.counts[i];
  for (let i = last + 1; i < h.counts.length; i++) reference[reference.length - 1] += h.counts[i];
  // The bin holding zero is left out: zero is exact in uint8 (the zero point), and after a Relu
  // half of all values sit there, so spreading it over its level's bins would punish every range.
  const zeroBin = Math.min(h.counts.length - 1, Math.floor(-h.min / width)) - first;
  if (zeroBin >= 0 && zeroBin < inside.length) inside[zeroBin] = reference[zeroBin] = 0;
  const levelOf = Int32Array.from(inside, (_, i) => level(h.center(first + i), scale, zeroPoint));
  const mass = new Float64Array(LEVELS);
  const used = new Float64Array(LEVELS);
  for (let i = 0; i < inside.length; i++) {
    mass[levelOf[i]] += inside[i];
    if (inside[i]) used[levelOf[i]]++;
  }
  const [referenceTotal, insideTotal] = [reference, inside].map((c) => c.reduce((a, b) => a + b, 0));
  // Nothing but zero left inside: every other value clipped, the worst range there is.
  if (!insideTotal) return referenceTotal ? Infinity : 0;
  let divergence = 0;
  for (let i = 0; i < reference.length; i++) {
    if (!reference[i]) continue;
    const p = reference[i] / referenceTotal;
    // An edge bin holding only outliers: the quantized copy has nothing there (TensorRT smooths it).
    const q = inside[i] ? mass[levelOf[i]] / used[levelOf[i]] / insideTotal : 1e-4 / insideTotal;
    divergence += p * Math.log(p / q);
  }
  return divergence;
}

/** The candidate with the least cost (the widest one among equals). */
function least(candidates: Range[], cost: (r: Range) => number): Range {
  let best = candidates[0];
  let bestCost = cost(best);
  for (const candidate of candidates.slice(1)) {
    const c = cost(candidate);
    if (c < bestCost - 1e-12 * Math.abs(bestCost)) [best, bestCost] = [candidate, c];
  }
  return best;
}

/** The range `method` picks from a tensor's histogram; `percentile` only for that method (e.g. 99.99). */
export function chooseRange(h: ValueHistogram, method: RangeMethod, percentile = 99.99): Range {
  if (method === 'min-max') return { min: h.min, max: h.max };
  if (method === 'percentile') {
    const tail = (100 - percentile) / 100;
    return { min: Math.min(0, h.quantile(tail)), max: Math.max(0, h.quantile(1 - tail)) };
  }
  if (method === 'entropy') return search(h, (r) => clippingDivergence(h, r));
  return search(h, (r) => quantizationError(h, r));
}
