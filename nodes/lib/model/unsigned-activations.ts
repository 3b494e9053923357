// Signed int8 activations (S8S8 QDQ, the default of onnxruntime's quantizer) run 1.5-1.8x
// slower than fp32 on x86, because onnxruntime's fast int8 kernels there take unsigned
// activations (U8S8). An activation's value is scale * (q - zeroPoint); adding 128 to both q
// and its int8 zero point keeps every value and moves q into 0..255. So the zero points of the
// activations' QuantizeLinear/DequantizeLinear pairs are rewritten as uint8 (+128) before the
// model is handed to onnxruntime; weights stay int8. The file on disk is not touched.
// (The reverse, uint8 to int8, makes S8S8 models from U8S8 ones for the benchmark.)
import { readFileSync } from 'node:fs';
import { WIRE_LENGTH, WIRE_VARINT, fields, int32s, lengthField, rawField, text, varintField, type Field } from './protobuf';

/** ModelProto, GraphProto, NodeProto, AttributeProto and TensorProto field numbers (onnx.proto3). */
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_OUTPUT = 12;
const GRAPH_VALUE_INFO = 13;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const NODE_DOMAIN = 7;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_GRAPHS = 11;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_INT32_DATA = 5;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;
const VALUE_NAME = 1;
const TYPE_UINT8 = 2;
const TYPE_INT8 = 3;

interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
}

interface Initializer {
  field: Field;
  name: string;
  dataType: number;
}

export interface ActivationRewrite {
  bytes: Buffer;
  /** How many zero-point tensors changed type. */
  zeroPoints: number;
}

type ZeroPointType = typeof TYPE_UINT8 | typeof TYPE_INT8;

function readNode(bytes: Uint8Array, f: Field): GraphNode | 'subgraph' {
  const node: GraphNode = { op: '', inputs: [], outputs: [] };
  let domain = '';
  for (const n of fields(bytes, f.start, f.end)) {
    if (n.wire !== WIRE_LENGTH) continue;
    if (n.number === NODE_INPUT) node.inputs.push(text(bytes, n));
    else if (n.number === NODE_OUTPUT) node.outputs.push(text(bytes, n));
    else if (n.number === NODE_OP_TYPE) node.op = text(bytes, n);
    else if (n.number === NODE_DOMAIN) domain = text(bytes, n);
    else if (n.number === NODE_ATTRIBUTE) {
      for (const a of fields(bytes, n.start, n.end)) if (a.number === ATTRIBUTE_GRAPH || a.number === ATTRIBUTE_GRAPHS) return 'subgraph';
    }
  }
  if (domain && domain !== 'ai.onnx') node.op = `${domain}.${node.op}`;
  return node;
}

function readInitializer(bytes: Uint8Array, f: Field): Initializer {
  let name = '';
  let dataType = 0;
  for (const t of fields(bytes, f.start, f.end)) {
    if (t.number === TENSOR_NAME && t.wire === WIRE_LENGTH) name = text(bytes, t);
    else if (t.number === TENSOR_DATA_TYPE && t.wire === WIRE_VARINT) dataType = t.value;
  }
  return { field: f, name, dataType };
}

/** A zero-point tensor written again in the other 8-bit type, its values moved by 128. */
function shiftedZeroPoint(bytes: Uint8Array, init: Initializer, to: ZeroPointType): Buffer {
  const kept: Buffer[] = [];
  const values: number[] = [];
  for (const t of fields(bytes, init.field.start, init.field.end)) {
    if (t.number === TENSOR_RAW_DATA && t.wire === WIRE_LENGTH) {
      for (let i = t.start; i < t.end; i++) values.push(init.dataType === TYPE_INT8 ? (bytes[i] << 24) >> 24 : bytes[i]);
    } else if (t.number === TENSOR_INT32_DATA) {
      values.push(...int32s(bytes, t));
    } else if (t.number === TENSOR_DIMS || t.number === TENSOR_NAME) {
      kept.push(Buffer.from(rawField(bytes, t)));
    } else if (t.number !== TENSOR_DATA_TYPE) {
      throw new Error(`zero point ${init.name} has field ${t.number}`);
    }
  }
  const shifted = Buffer.from(values.map((v) => (to === TYPE_UINT8 ? v + 128 : (v - 128) & 0xff)));
  return lengthField(GRAPH_INITIALIZER, Buffer.concat([...kept, varintField(TENSOR_DATA_TYPE, to), lengthField(TENSOR_RAW_DATA, shifted)]));
}

/** The model with its int8 activation zero points made uint8 (see the top of this file). */
export const unsignedActivations = (bytes: Uint8Array): ActivationRewrite | undefined => shiftActivations(bytes, TYPE_UINT8);

/** The model with its uint8 activation zero points made int8: an S8S8 model from a U8S8 one. */
export const signedActivations = (bytes: Uint8Array): ActivationRewrite | undefined => shiftActivations(bytes, TYPE_INT8);

/**
 * Undefined when there is nothing to change or the graph is not plain QDQ (subgraphs, quantized
 * tensors read by other operators or leaving the graph, zero points shared with weights or not
 * stored as initializers).
 */
function shiftActivations(bytes: Uint8Array, to: ZeroPointType): ActivationRewrite | undefined {
  const from = to === TYPE_UINT8 ? TYPE_INT8 : TYPE_UINT8;
  const graph = [...fields(bytes)].find((f) => f.number === MODEL_GRAPH && f.wire === WIRE_LENGTH);
  if (!graph) return undefined;
  const graphFields = [...fields(bytes, graph.start, graph.end)];
  const nodes: GraphNode[] = [];
  const initializers = new Map<string, Initializer>();
  const graphOutputs = new Set<string>();
  for (const f of graphFields) {
    if (f.wire !== WIRE_LENGTH) continue;
    if (f.number === GRAPH_NODE) {
      const node = readNode(bytes, f);
      if (node === 'subgraph') return undefined;
      nodes.push(node);
    } else if (f.number === GRAPH_INITIALIZER) {
      const init = readInitializer(bytes, f);
      initializers.set(init.name, init);
    } else if (f.number === GRAPH_OUTPUT) {
      for (const v of fields(bytes, f.start, f.end)) if (v.number === VALUE_NAME && v.wire === WIRE_LENGTH) graphOutputs.add(text(bytes, v));
    }
  }

  const zeroPointToShift = (node: GraphNode): boolean => {
    const zp = node.inputs[2];
    return !!zp && initializers.get(zp)?.dataType === from;
  };
  // Activations: what QuantizeLinear makes from a computed (not stored) tensor.
  const activationQuantizers = nodes.filter((n) => n.op === 'QuantizeLinear' && !initializers.has(n.inputs[0]) && zeroPointToShift(n));
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
  if ([...quantized].some((name) => graphOutputs.has(name))) return undefined;
  if ([...activationZeroPoints].some((name) => otherZeroPoints.has(name))) return undefined;

  const parts: Uint8Array[] = [];
  for (const f of graphFields) {
    if (f.number === GRAPH_INITIALIZER && f.wire === WIRE_LENGTH) {
      const init = readInitializer(bytes, f);
      parts.push(activationZeroPoints.has(init.name) ? shiftedZeroPoint(bytes, init, to) : rawField(bytes, f));
    } else if (f.number === GRAPH_VALUE_INFO && f.wire === WIRE_LENGTH) {
      // The declared type of a quantized activation would now be wrong; the rest stays.
      const name = [...fields(bytes, f.start, f.end)].find((v) => v.number === VALUE_NAME && v.wire === WIRE_LENGTH);
      if (!name || !quantized.has(text(bytes, name))) parts.push(rawField(bytes, f));
    } else {
      parts.push(rawField(bytes, f));
    }
  }
  const newGraph = lengthField(MODEL_GRAPH, Buffer.concat(parts));
  const model = [...fields(bytes)].map((f) => (f.number === MODEL_GRAPH && f.wire === WIRE_LENGTH ? newGraph : rawField(bytes, f)));
  return { bytes: Buffer.concat(model), zeroPoints: activationZeroPoints.size };
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
