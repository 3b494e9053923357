// The model checker's process: opens each model it is sent exactly as the inference worker
// will, and runs it once on zeros. If onnxruntime crashes on a hostile or broken file, it is
// this process that dies, not Node-RED (see checker.ts).
import * as ort from 'onnxruntime-node';
import type { ModelConfig } from './describe';
import { openSession } from './open-session';

/** Zero inputs larger than this are not run (the load alone is checked). */
const MAX_TRIAL_ELEMENTS = 64e6;

export interface CheckRequest {
  id: number;
  config: ModelConfig;
}

export interface CheckReply {
  id: number;
  ok: boolean;
  code?: string;
  params?: Record<string, unknown>;
  message?: string;
}

/** A size for each dynamic axis: 320 for an image's height and width, 1 for the rest (batch). */
function trialDims(dims: number[]): number[] {
  const channelsLast = dims.length === 4 && dims[3] > 0 && dims[3] <= 4 && !(dims[1] > 0 && dims[1] <= 4);
  const spatial = dims.length === 4 ? (channelsLast ? [1, 2] : [2, 3]) : [];
  return dims.map((d, axis) => (d > 0 ? d : spatial.includes(axis) ? 320 : 1));
}

/**
 * Opens the model as the worker will (a file onnxruntime cannot load is refused with its
 * reason) and runs it once on zeros. The run is there to reach the kernels a crash would be in:
 * if it only throws (say, a size the zeros do not suit), the model is not refused for that,
 * since the worker reports such errors with each frame.
 */
async function check(config: ModelConfig): Promise<void> {
  const { session, info } = await openSession(config);
  try {
    const dims = trialDims(info.input.dims);
    const count = dims.reduce((a, b) => a * b, 1);
    if (count <= MAX_TRIAL_ELEMENTS) {
      const data = info.input.type === 'float32' ? new Float32Array(count) : new Uint8Array(count);
      await session.run({ [info.input.name]: new ort.Tensor(info.input.type, data, dims) }).catch(() => undefined);
    }
  } finally {
    await session.release();
  }
}

process.on('message', (request: CheckRequest) => {
  check(request.config).then(
    () => process.send?.({ id: request.id, ok: true } satisfies CheckReply),
    (err: Error & { code?: string; params?: Record<string, unknown> }) => process.send?.({
      id: request.id, ok: false, code: err.code, params: err.params, message: err.message,
    } satisfies CheckReply),
  );
});
// Gone when Node-RED is.
process.on('disconnect', () => process.exit(0));
