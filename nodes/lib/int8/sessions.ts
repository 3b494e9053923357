// The small pieces every int8 measurement shares: feeding a float tensor to a session's one
// input, and timing several sessions fairly on one machine (in turn, round after round).
import * as ort from 'onnxruntime-node';

export type Feed = (data: Float32Array) => Record<string, ort.Tensor>;

/** Feeds for the session's one input; dynamic dimensions are taken as 1. */
export function inputFeed(session: ort.InferenceSession): Feed {
  const input = session.inputMetadata[0];
  const dims = input.isTensor ? input.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1)) : [];
  return (data) => ({ [input.name]: new ort.Tensor('float32', data, dims) });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Each session's median run time on the same input, the sessions run in turn, round after
 * round, so that drift on a shared machine hits them alike. The first two rounds warm up.
 */
export async function alternatingMedians(sessions: ort.InferenceSession[], data: Float32Array, rounds: number): Promise<number[]> {
  const feeds = sessions.map(inputFeed);
  const times: number[][] = sessions.map(() => []);
  for (let round = 0; round < rounds + 2; round++) {
    for (const [k, session] of sessions.entries()) {
      const started = performance.now();
      await session.run(feeds[k](data));
      if (round >= 2) times[k].push(performance.now() - started);
    }
  }
  return times.map(median);
}
