// Signed int8 activations (S8S8 QDQ, the default of onnxruntime's quantizer) run 1.5-1.8x
// slower than fp32 on x86, because onnxruntime's fast int8 kernels there take unsigned
// activations (U8S8). An activation's value is scale * (q - zeroPoint); adding 128 to both q
// and its int8 zero point keeps every value and moves q into 0..255. So the zero points of the
// activations' QuantizeLinear/DequantizeLinear pairs are rewritten as uint8 (+128) before the
// model is handed to onnxruntime; weights stay int8. The file on disk is not touched.
// (The reverse, uint8 to int8, makes S8S8 models from U8S8 ones for the benchmark.)
import { readFileSync } from 'node:fs';
import { DATA_TYPE, OnnxGraph, tensorValues, type GraphNode } from '../onnx';

export interface ActivationRewrite {
  bytes: Buffer;
  /** How many zero-point tensors changed type. */
  zeroPoints: number;
}

type ZeroPointType = typeof DATA_TYPE.uint8 | typeof DATA_TYPE.int8;

/** The model with its int8 activation zero points made uint8 (see the top of this file). */
export const unsignedActivations = (bytes: Uint8Array): ActivationRewrite | undefined => shiftActivations(bytes, DATA_TYPE.uint8);

/** The model with its uint8 activation zero points made int8: an S8S8 model from a U8S8 one. */
export const signedActivations = (bytes: Uint8Array): ActivationRewrite | undefined => shiftActivations(bytes, DATA_TYPE.int8);

/**
 * Undefined when there is nothing to change or the graph is not plain QDQ (subgraphs, quantized
 * tensors read by other operators or leaving the graph, zero points shared with weights or not
 * stored as initializers).
 */
function shiftActivations(bytes: Uint8Array, to: ZeroPointType): ActivationRewrite | undefined {
  const from = to === DATA_TYPE.uint8 ? DATA_TYPE.int8 : DATA_TYPE.uint8;
  let graph: OnnxGraph;
  try {
    graph = OnnxGraph.read(bytes);
  } catch {
    return undefined;
  }
  const nodes = graph.nodes.map((n) => ({ ...n, op: n.domain ? `${n.domain}.${n.op}` : n.op }));
  const zeroPointToShift = (node: GraphNode): boolean => {
    const zp = node.inputs[2];
    return !!zp && graph.initializer(zp)?.dataType === from;
  };
  // Activations: what QuantizeLinear makes from a computed (not stored) tensor.
  const activationQuantizers = nodes.filter((n) => n.op === 'QuantizeLinear' && !graph.hasInitializer(n.inputs[0]) && zeroPointToShift(n));
  if (!activationQuantizers.length) return undefined;
  const quantized = new Set(activationQuantizers.map((n) => n.outputs[0]));
  const activationZeroPoints = new Set(activationQuantizers.map((n) => n.inputs[2]));
  const otherZeroPoints = new Set<string>();
  for (const node of nodes) {
    const readsQuantized = node.inputs.some((input) => quantized.has(input));
    if (readsQuantized && (node.op !== 'DequantizeLinear' || !quantized.has(node.inputs[0]))) return undefined;
    if (node.op === 'DequantizeLinear' && readsQuantized) {
      if (!zeroPointToShift(node)) return undefined;
      activationZeroPoints.add(node.inputs[2]);
    } else if ((node.op === 'QuantizeLinear' || node.op === 'DequantizeLinear') && node.inputs[2] && !activationQuantizers.includes(node)) {
      otherZeroPoints.add(node.inputs[2]);
    }
  }
  if (graph.outputs.some((o) => quantized.has(o.name))) return undefined;
  if ([...activationZeroPoints].some((name) => otherZeroPoints.has(name))) return undefined;

  for (const name of activationZeroPoints) {
    const zeroPoint = graph.initializer(name)!;
    const shifted = Uint8Array.from(tensorValues(zeroPoint) as ArrayLike<number>, (v) => (to === DATA_TYPE.uint8 ? v + 128 : (v - 128) & 0xff));
    graph.setInitializer({ ...zeroPoint, dataType: to, data: shifted });
  }
  // The declared type of a quantized activation would now be wrong; the other shapes stay.
  graph.dropValueInfo(quantized);
  return { bytes: graph.encode(), zeroPoints: activationZeroPoints.size };
}

let vnni: boolean | undefined;

/**
 * Whether unsigned activations are both faster and exact on this CPU: x86 with VNNI. Without
 * VNNI, x86 multiplies uint8 by int8 with a saturating instruction (VPMADDUBSW), which can
 * overflow for weights that use the full int8 range, so S8S8 models are left as they are.
 */
export function unsignedActivationsPayOff(): boolean {
  if (vnni === undefined) {
    let flags = '';
    try {
      flags = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      // Not Linux: keep models as they are.
    }
    vnni = process.arch === 'x64' && /\b(avx512_vnni|avx_vnni)\b/.test(flags);
  }
  return vnni;
}
