// Empirical bias correction (after Nagel et al., "Data-Free Quantization", 2019, section 4.2, but
// measured instead of derived): int8 rounding moves the mean of a convolution's output, most where
// an input channel is nearly constant (every pixel of it rounds the same way, so the error does
// not average out, and BatchNorm folding has made that channel's weights large). Each int8
// compute node's own error is measured on the calibration inputs, its int8 twin beside the float
// node (buildTwinProbe), and the mean difference per output channel goes into its bias.
// Measured node by node on float inputs, not through the whole int8 model: corrections made
// together through the int8 model feed on each other and diverge (tried on MobileNetV2).
import { openProbe } from './probe';
import { buildQuantized, buildTwinProbe, type BuildOptions, type Calibration, type QuantizeReport } from './quantize';

/** Per int8 compute node, what to add to its bias so that its output means match fp32's on the calibration inputs. */
export async function biasShifts(calibration: Calibration, options: BuildOptions): Promise<Map<string, Float32Array>> {
  const { bytes, twins } = buildTwinProbe(calibration, options);
  const axisFromEnd = new Map(twins.flatMap((t) => [[t.float, t.channelAxisFromEnd], [t.int8, t.channelAxisFromEnd]] as const));
  const sums = new Map<string, { sum: Float64Array; count: number }>();
  const probe = await openProbe(bytes, [...axisFromEnd.keys()], calibration.inputs);
  try {
    await probe.each((tensor, values, dims) => {
      const axis = axisFromEnd.get(tensor) ? dims.length - 1 : 1;
      const channels = dims[axis];
      const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
      const entry = sums.get(tensor) ?? { sum: new Float64Array(channels), count: 0 };
      for (let i = 0; i < values.length; i++) entry.sum[Math.floor(i / inner) % channels] += values[i];
      entry.count += values.length / channels;
      sums.set(tensor, entry);
    });
  } finally {
    await probe.release();
  }
  const shifts = new Map<string, Float32Array>();
  for (const twin of twins) {
    const [float, int8] = [sums.get(twin.float)!, sums.get(twin.int8)!];
    shifts.set(twin.node, Float32Array.from(float.sum, (f, c) => (f - int8.sum[c]) / float.count));
  }
  return shifts;
}

/** Options for a build, as the quantizer's searches pass them: bias correction is on unless `correctBias` is false. */
export type CorrectedBuild = BuildOptions & { correctBias?: boolean };

/** Shifts measured per calibration and range choice (see `corrected`). */
const measured = new WeakMap<Calibration, Map<string, Promise<Map<string, Float32Array>>>>();

/**
 * The options with their bias shifts. A node's shift depends only on its own input range and
 * weights (it is measured on float inputs), so one measurement with every node in int8 serves
 * every build with the same ranges, whichever nodes it keeps float.
 */
export async function corrected(calibration: Calibration, options: CorrectedBuild): Promise<BuildOptions> {
  const { correctBias, ...build } = options;
  if (correctBias === false) return build;
  const key = JSON.stringify([build.method ?? 'min-max', build.percentile, build.perChannel ?? true, build.reduceRange === true]);
  const known = measured.get(calibration) ?? new Map<string, Promise<Map<string, Float32Array>>>();
  measured.set(calibration, known);
  if (!known.has(key)) known.set(key, biasShifts(calibration, { method: build.method, percentile: build.percentile, perChannel: build.perChannel, reduceRange: build.reduceRange }));
  return { ...build, biasShift: await known.get(key)! };
}

/** An int8 model from recorded calibration, its biases corrected unless `correctBias` is false. */
export async function buildCorrected(calibration: Calibration, options: CorrectedBuild): Promise<QuantizeReport> {
  return buildQuantized(calibration, await corrected(calibration, options));
}
