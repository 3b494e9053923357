// A model with chosen inner tensors made outputs, run over calibration inputs: how calibration
// reads activations (their histograms, a convolution's output means) that fusions would hide.
import * as ort from 'onnxruntime-node';
import { inputFeed } from '../int8';
import { DATA_TYPE, OnnxGraph, makeNode, tensorValueInfo } from '../onnx';

export interface Probe {
  /** Every input in turn; `visit` gets each probed tensor's values and shape. */
  each(visit: (tensor: string, values: Float32Array, dims: readonly number[]) => void): Promise<void>;
  release(): Promise<void>;
}

/** Basic optimisation only: fusions would take away the tensors being read. */
export async function openProbe(model: Uint8Array, tensors: string[], inputs: Float32Array[]): Promise<Probe> {
  const probe = OnnxGraph.read(model);
  const taken = new Set(probe.nodes.flatMap((n) => [...n.inputs, ...n.outputs]));
  const outputs = new Map<string, string>();
  const graphInputs = new Set(probe.inputs.map((v) => v.name));
  const existing = new Set(probe.outputs.map((o) => o.name));
  for (const t of tensors) {
    if (existing.has(t)) {
      outputs.set(t, t);
      continue;
    }
    // A graph input cannot be an output as well: it goes out through an Identity.
    const out = graphInputs.has(t) ? probe.freshName(`${t}_calibration`, taken) : t;
    if (out !== t) probe.nodes.push(makeNode('Identity', [t], [out]));
    probe.outputs.push(tensorValueInfo(out, DATA_TYPE.float32));
    outputs.set(t, out);
  }
  const session = await ort.InferenceSession.create(probe.encode(), { graphOptimizationLevel: 'basic', logSeverityLevel: 3 });
  const feed = inputFeed(session);
  const fetches = [...new Set(outputs.values())];
  return {
    async each(visit) {
      for (const data of inputs) {
        const result = await session.run(feed(data), fetches);
        for (const [t, out] of outputs) visit(t, result[out].data as Float32Array, result[out].dims);
      }
    },
    release: () => session.release(),
  };
}
