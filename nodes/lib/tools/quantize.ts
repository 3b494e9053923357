// Static int8 quantization of a float ONNX model, made here so that a user (and our benchmark)
// can turn any fp32 model into the fast kind without Python: QDQ format, unsigned (uint8)
// activations with ranges measured on calibration images, signed int8 weights per output
// channel, int32 biases. That is onnxruntime's U8S8, the combination its x86 and ARM kernels
// run fastest (signed activations run slower than fp32 on x86: README, Performance).
//
// What gets quantized: every Conv / MatMul / Gemm with stored weights, and the cheap operators
// between them (activations, residual adds, pooling, concat, resize, reshapes) so that
// onnxruntime can keep the data in int8 from one convolution to the next. Operators after the
// last convolution stay float: that is where detectors decode boxes in pixels next to scores in
// 0..1, and one 8-bit range over both would wipe out the scores (what broke the YOLOX int8 model
// in the shared assets).
import { ValueHistogram, chooseRange, modelInputs, uint8Parameters, type Range, type RangeMethod } from '../int8';
import {
  DATA_TYPE, OnnxGraph, attributeFloat, attributeInts, floatTensor, intAttribute, makeNode, tensorValues, type GraphNode, type Tensor,
} from '../onnx';
import { openProbe } from './probe';

/** Operators with stored weights that run as int8 kernels. */
const COMPUTE_OPS = new Set(['Conv', 'MatMul', 'Gemm']);
/** Operators between convolutions that onnxruntime runs on int8 data (or drops Q/DQ around). */
const BETWEEN_OPS = new Set([
  'Add', 'Mul', 'Sigmoid', 'Relu', 'Clip', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'MaxPool', 'AveragePool', 'GlobalAveragePool',
  'Concat', 'Resize', 'Split', 'Slice', 'Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze', 'Softmax', 'Identity',
]);
/** Operators whose outputs are a rearrangement or subset of their input: same int8 scale in and out. */
const SAME_SCALE_OPS = new Set(['MaxPool', 'Resize', 'Split', 'Slice', 'Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity']);
/**
 * Operators whose meaning did not change between opsets 11 and 13, so a model made only of them
 * can be raised to 13 for per-channel weights (Split, Squeeze, Unsqueeze, ReduceSum and Softmax
 * did change).
 */
const SAME_IN_OPSET_11_TO_13 = new Set([
  'Conv', 'Relu', 'Sigmoid', 'Mul', 'Add', 'Sub', 'Div', 'Concat', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Resize', 'Slice',
  'Reshape', 'Transpose', 'Flatten', 'Clip', 'LeakyRelu', 'HardSigmoid', 'Gemm', 'MatMul', 'BatchNormalization', 'Constant',
  'ConstantOfShape', 'Shape', 'Gather', 'Cast', 'Identity', 'Exp', 'Pow', 'Sqrt', 'Tanh', 'Neg', 'Abs', 'Expand', 'Equal', 'Where',
  'Range', 'Tile', 'Min', 'Max', 'Floor', 'Ceil', 'Pad', 'Erf', 'Log', 'Reciprocal', 'Not', 'Less', 'Greater',
]);
/** A Concat whose inputs' ranges differ more than this stays float (see plan). */
const CONCAT_SPAN_RATIO = 8;
/** Operators whose data input is the first one only (the rest are shapes, sizes, indices or bounds). */
const DATA_FIRST_OPS = new Set(['Resize', 'Split', 'Slice', 'Reshape', 'Squeeze', 'Unsqueeze', 'Clip']);

/** What quantizing needs before any choice is made: the prepared graph and what calibration recorded. */
export interface Calibration {
  /** The float model with BatchNormalizations folded and the opset raised where that is free. */
  prepared: Uint8Array;
  /** The calibration inputs, kept for the searches that compare outputs. */
  inputs: Float32Array[];
  /** Each activation tensor that may be quantized: its values' histogram over all inputs. */
  histograms: Map<string, ValueHistogram>;
  foldedBatchNorms: number;
  /** Compute nodes (Conv, MatMul, Gemm) that can run in int8, by name, in graph order. */
  computeNodes: string[];
  /** Ranges already chosen, by method and tensor: searches build many models with one method. */
  chosen?: Map<string, Map<string, Range>>;
}

export interface BuildOptions {
  /** One scale per output channel for weights (default true; needs opset 13 or later). */
  perChannel?: boolean;
  /**
   * 7-bit weights, for x86 CPUs without VNNI, whose int8 instruction (VPMADDUBSW) saturates on
   * full-range weights. Not needed on ARM or on x86 with VNNI.
   */
  reduceRange?: boolean;
  /** Node names (or output tensor names) to leave in float. */
  exclude?: string[];
  /** Quantize only these compute nodes (and what lies between them): the sensitivity search's one-node models. */
  only?: string[];
  /** How activation ranges are chosen from the histograms (default min-max). */
  method?: RangeMethod;
  /** For the percentile method (default 99.99). */
  percentile?: number;
  /** Recorded in the model's metadata: what chose the method and the float nodes. */
  search?: unknown;
  /**
   * Added to int8 compute nodes' biases, by node name, one value per output channel: what bias
   * correction measured int8 rounding to move each channel's mean by (see bias-correction.ts).
   */
  biasShift?: ReadonlyMap<string, Float32Array>;
}

export interface QuantizeOptions extends BuildOptions {
  /** Calibration inputs for the model's one input, in its shape and layout (float32). */
  calibration: Iterable<Float32Array> | AsyncIterable<Float32Array>;
}

export interface QuantizeReport {
  bytes: Buffer;
  /** Nodes that now run on int8 data, by operator. */
  quantizedNodes: Record<string, number>;
  /** Activation tensors given a measured range. */
  activations: number;
  weights: number;
  calibrationInputs: number;
  /** BatchNormalization nodes folded into the convolution before them. */
  foldedBatchNorms: number;
  /** The opset of the result (raised to 13 for per-channel weights where that changes nothing else). */
  opset: number;
}

interface Plan {
  /** Nodes inside the int8 region. */
  region: Set<GraphNode>;
  /** Activation tensors to quantize, in the order they are produced. */
  tensors: string[];
  /** Tensor -> the tensor whose scale it shares (itself when it leads). */
  scaleOf: Map<string, string>;
  /** Relu / Clip nodes taken over by the uint8 range of the node before, with the tensor between. */
  folded: Map<GraphNode, string>;
}

/** Which nodes run on int8 data, and which activation tensors need a range. */
function plan(graph: OnnxGraph, exclude: Set<string>, only?: Set<string>, spanOf?: (tensor: string) => number | undefined): Plan {
  const inputTypes = new Map(graph.inputs.map((v) => [v.name, v]));
  // Float tensors, followed forward from the float inputs through operators that keep floats.
  const floats = new Set<string>(graph.inputs.filter((v) => v.dataType === DATA_TYPE.float32).map((v) => v.name));
  for (const node of graph.nodes) {
    if ((COMPUTE_OPS.has(node.op) || BETWEEN_OPS.has(node.op)) && floats.has(node.inputs[0])) node.outputs.forEach((o) => floats.add(o));
  }
  const consumers = new Map<string, GraphNode[]>();
  for (const node of graph.nodes) for (const input of node.inputs) consumers.set(input, [...(consumers.get(input) ?? []), node]);

  const dataInputs = (node: GraphNode): string[] => {
    if (COMPUTE_OPS.has(node.op)) return [node.inputs[0]];
    if (DATA_FIRST_OPS.has(node.op)) return [node.inputs[0]];
    return node.inputs.filter((i) => i !== '');
  };
  const eligible = (node: GraphNode): boolean => {
    if (exclude.has(node.name) || node.outputs.some((o) => exclude.has(o)) || node.domain !== '') return false;
    const data = dataInputs(node);
    if (!data.every((i) => floats.has(i) && !graph.isConstant(i))) return false;
    if (COMPUTE_OPS.has(node.op)) {
      const weight = graph.initializer(node.inputs[1] ?? '');
      const bias = node.inputs[2] ? graph.initializer(node.inputs[2]) : undefined;
      if (only && !only.has(node.name)) return false;
      if (!weight || weight.dataType !== DATA_TYPE.float32) return false;
      if (node.inputs[2] && (!bias || bias.dataType !== DATA_TYPE.float32)) return false;
      if (node.op === 'MatMul' && weight.dims.length !== 2) return false;
      if (node.op === 'Gemm' && (attributeValue(node, 'transA') ?? 0) !== 0) return false;
      if (node.op === 'Gemm' && bias && bias.dims.length !== 1) return false;
      return true;
    }
    return BETWEEN_OPS.has(node.op);
  };

  // Backwards: a node between convolutions joins when one of its outputs reaches one.
  const region = new Set<GraphNode>();
  const feedsCompute = (tensor: string): boolean => (consumers.get(tensor) ?? []).some((c) => region.has(c) && dataInputs(c).includes(tensor));
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (!eligible(node)) continue;
    if (COMPUTE_OPS.has(node.op) || node.outputs.some(feedsCompute)) region.add(node);
  }
  // A Concat joining tensors of very different ranges (a detector's box and class logits before
  // its decode) would give them all one scale: the narrow ones would keep a few levels. It stays
  // float, and each input keeps its own scale.
  if (spanOf) {
    for (const node of region) {
      if (node.op !== 'Concat') continue;
      const spans = node.inputs.map(spanOf).filter((v): v is number => v !== undefined && v > 0);
      if (spans.length > 1 && Math.max(...spans) > CONCAT_SPAN_RATIO * Math.min(...spans)) region.delete(node);
    }
  }
  // Forwards: a node between convolutions stays only when int8 data reaches it. After a
  // convolution left in float, its activation stays float too, and the next int8 convolution
  // quantizes its own input: quantizing the float convolution's raw output instead (a wide
  // range, clipped by a Relu6 right after) would throw away most of its precision.
  const int8Data = new Set<string>();
  for (const node of graph.nodes) {
    if (!region.has(node)) continue;
    const reached = COMPUTE_OPS.has(node.op) || dataInputs(node).some((i) => int8Data.has(i) || inputTypes.has(i));
    if (reached) node.outputs.forEach((o) => int8Data.add(o));
    else region.delete(node);
  }

  // Relu and Clip(0, max) right after an int8 node: the output's uint8 range starting at 0 clips
  // exactly as they do, so they go and the node before writes their output (as onnxruntime's own
  // quantizer does; a Q/DQ pair before them would keep the convolution off the int8 kernel).
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const producer = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const folded = new Map<GraphNode, string>();
  // In graph order: of Conv -> Relu -> Clip only the Relu folds, the Clip stays a node.
  for (const node of graph.nodes) {
    if (!region.has(node)) continue;
    if (node.op !== 'Relu' && !(node.op === 'Clip' && clipsAtZero(graph, node))) continue;
    const before = node.inputs[0];
    const from = producer.get(before);
    if (from && region.has(from) && !folded.has(from) && consumers.get(before)?.length === 1 && !graphOutputs.has(before)) folded.set(node, before);
  }
  const tensors: string[] = [];
  const seen = new Set<string>(folded.values());
  const add = (t: string): void => {
    if (!seen.has(t)) {
      seen.add(t);
      tensors.push(t);
    }
  };
  for (const input of inputTypes.keys()) if ([...region].some((n) => dataInputs(n).includes(input))) add(input);
  for (const node of graph.nodes) {
    if (!region.has(node)) continue;
    dataInputs(node).forEach(add);
    node.outputs.forEach(add);
  }
  // Same-scale operators: their outputs take their input's scale.
  const scaleOf = new Map<string, string>(tensors.map((t) => [t, t]));
  const lead = (t: string): string => {
    let at = t;
    while (scaleOf.get(at) !== at) at = scaleOf.get(at)!;
    return at;
  };
  for (const node of graph.nodes) {
    if (!region.has(node) || !SAME_SCALE_OPS.has(node.op)) continue;
    for (const output of node.outputs) scaleOf.set(lead(output), lead(node.inputs[0]));
  }
  for (const t of tensors) scaleOf.set(t, lead(t));
  return { region, tensors, scaleOf, folded };
}

/** Whether a Clip's lower bound is a stored 0 (an input from opset 11, an attribute before). */
function clipsAtZero(graph: OnnxGraph, node: GraphNode): boolean {
  if (graph.opset < 11) return attributeFloat(node, 'min') === 0;
  const min = node.inputs[1] ? graph.constant(node.inputs[1]) : undefined;
  return !!min && min.dataType === DATA_TYPE.float32 && min.data.length === 4 && tensorValues(min)[0] === 0;
}

const attributeValue = (node: GraphNode, name: string): number | undefined => attributeInts(node, name)?.[0];


/**
 * Fold each BatchNormalization that directly follows a Conv with stored weights into that Conv
 * (scaled weights, shifted bias), as exporters usually do already: a BatchNormalization left
 * between a Conv and its int8 output would keep the Conv from running as an int8 kernel.
 */
function foldBatchNorms(graph: OnnxGraph): number {
  const readers = new Map<string, number>();
  for (const node of graph.nodes) for (const input of node.inputs) readers.set(input, (readers.get(input) ?? 0) + 1);
  const producer = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const folded = new Set<GraphNode>();
  for (const bn of graph.nodes) {
    if (bn.op !== 'BatchNormalization' || bn.outputs.length !== 1) continue;
    const conv = producer.get(bn.inputs[0]);
    if (!conv || conv.op !== 'Conv' || readers.get(bn.inputs[0]) !== 1 || graphOutputs.has(bn.inputs[0])) continue;
    const weight = graph.initializer(conv.inputs[1]);
    const [gamma, beta, mean, variance] = bn.inputs.slice(1).map((name) => graph.initializer(name));
    if (!weight || weight.dataType !== DATA_TYPE.float32 || !gamma || !beta || !mean || !variance) continue;
    if (readers.get(conv.inputs[1]) !== 1 || (conv.inputs[2] && readers.get(conv.inputs[2]) !== 1)) continue;
    const epsilon = attributeFloat(bn, 'epsilon') ?? 1e-5;
    const [g, b, m, v] = [gamma, beta, mean, variance].map((t) => tensorValues(t) as Float32Array);
    const w = tensorValues(weight) as Float32Array;
    const bias = conv.inputs[2] ? tensorValues(graph.initializer(conv.inputs[2])!) as Float32Array : new Float32Array(g.length);
    const perChannel = w.length / g.length;
    const factor = Float32Array.from(g, (gi, c) => gi / Math.sqrt(v[c] + epsilon));
    const newWeight = Float32Array.from(w, (wi, i) => wi * factor[Math.floor(i / perChannel)]);
    const newBias = Float32Array.from(factor, (f, c) => (bias[c] - m[c]) * f + b[c]);
    graph.setInitializer(floatTensor(conv.inputs[1], weight.dims, newWeight));
    const biasName = conv.inputs[2] || `${conv.inputs[1]}_folded_bias`;
    graph.setInitializer(floatTensor(biasName, [g.length], newBias));
    conv.inputs = [conv.inputs[0], conv.inputs[1], biasName];
    conv.outputs = [bn.outputs[0]];
    folded.add(bn);
  }
  graph.nodes = graph.nodes.filter((n) => !folded.has(n));
  return folded.size;
}

/**
 * Every tensor's values over every calibration input, as histograms: one pass for each tensor's
 * range, one for its histogram over that range.
 */
async function recordHistograms(graph: OnnxGraph, tensors: string[], inputs: Float32Array[]): Promise<Map<string, ValueHistogram>> {
  const probe = await openProbe(graph.encode(), tensors, inputs);
  const each = probe.each.bind(probe);
  try {
    const ranges = new Map<string, Range>();
    await each((t, values) => {
      let { min, max } = ranges.get(t) ?? { min: Infinity, max: -Infinity };
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      ranges.set(t, { min, max });
    });
    const histograms = new Map([...ranges].map(([t, r]) => [t, new ValueHistogram(r)]));
    await each((t, values) => histograms.get(t)!.add(values));
    return histograms;
  } finally {
    await probe.release();
  }
}

/** Symmetric int8 weights, per output channel along `axis` (or one scale for all). */
function quantizeWeight(weight: Tensor, axis: number | undefined, reduceRange: boolean): { values: Int8Array; scales: Float32Array } {
  const data = tensorValues(weight) as Float32Array;
  const limit = reduceRange ? 63 : 127;
  const channels = axis === undefined ? 1 : weight.dims[axis];
  const inner = axis === undefined ? data.length : weight.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number): number => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const maxAbs = new Float32Array(channels);
  for (let i = 0; i < data.length; i++) maxAbs[channelOf(i)] = Math.max(maxAbs[channelOf(i)], Math.abs(data[i]));
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / limit : 1));
  const values = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) values[i] = Math.max(-limit, Math.min(limit, Math.round(data[i] / scales[channelOf(i)])));
  return { values, scales };
}

/** Stores integer values with their scales and zero points, and the DequantizeLinear that reads them back. */
function dequantizedConstant(
  graph: OnnxGraph, taken: Set<string>, base: string, values: Int8Array | Int32Array, dims: number[], scales: Float32Array, axis: number | undefined,
): { node: GraphNode; output: string } {
  const [name, scale, zeroPoint, output] = ['quantized', 'scale', 'zero_point', 'dequantized'].map((suffix) => graph.freshName(`${base}_${suffix}`, taken));
  const dataType = values instanceof Int8Array ? DATA_TYPE.int8 : DATA_TYPE.int32;
  const scaleDims = axis === undefined ? [] : [scales.length];
  graph.setInitializer({ name, dataType, dims, data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) });
  graph.setInitializer(floatTensor(scale, scaleDims, scales));
  graph.setInitializer({ name: zeroPoint, dataType, dims: scaleDims, data: new Uint8Array(scales.length * values.BYTES_PER_ELEMENT) });
  return { node: makeNode('DequantizeLinear', [name, scale, zeroPoint], [output], axis === undefined ? [] : [intAttribute('axis', axis)]), output };
}

/** A Conv / MatMul / Gemm's stored weight in int8 and its bias in int32, read through DequantizeLinear. */
function storedInputsInInt8(
  graph: OnnxGraph, node: GraphNode, inputScale: number, perChannel: boolean, reduceRange: boolean, taken: Set<string>, shift?: Float32Array,
): { nodes: GraphNode[]; weight: string; bias?: string } {
  const weight = graph.initializer(node.inputs[1])!;
  const transB = node.op === 'Gemm' && attributeValue(node, 'transB') === 1;
  // The output-channel axis: Conv [M,C,kh,kw] and Gemm with transB [N,K] have it first; MatMul and Gemm [K,N] last.
  const axis = !perChannel ? undefined : node.op === 'Conv' || transB ? 0 : 1;
  const { values, scales } = quantizeWeight(weight, axis, reduceRange);
  const w = dequantizedConstant(graph, taken, weight.name, values, weight.dims, scales, axis);
  // A MatMul has no bias to shift; a Conv or Gemm without one gets one when there is a shift.
  const canHaveBias = node.op !== 'MatMul';
  const biasName = node.inputs[2] || (shift && canHaveBias ? graph.freshName(`${node.name}_bias`, taken) : '');
  if (!biasName) return { nodes: [w.node], weight: w.output };
  // int32 bias in the accumulator's scale: input scale x weight scale (per channel).
  const stored = node.inputs[2] ? (tensorValues(graph.initializer(biasName)!) as Float32Array) : new Float32Array(shift!.length);
  const bias = shift ? Float32Array.from(stored, (v, c) => v + shift[c]) : stored;
  const biasScales = Float32Array.from(scales, (s) => inputScale * s);
  const channelScale = (c: number): number => biasScales[axis === undefined ? 0 : c];
  const quantizedBias = Int32Array.from(bias, (v, c) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(v / channelScale(c)))));
  const b = dequantizedConstant(graph, taken, biasName, quantizedBias, [bias.length], biasScales, axis);
  return { nodes: [w.node, b.node], weight: w.output, bias: b.output };
}

/** Calibration inputs this few give ranges that do not hold for the next image. */
export const MINIMUM_CALIBRATION_INPUTS = 2;

/** The graph ready to quantize: opset raised where that is free, BatchNormalizations folded. */
function preparedGraph(bytes: Uint8Array, perChannel: boolean): { graph: OnnxGraph; foldedBatchNorms: number } {
  const graph = OnnxGraph.read(bytes);
  if (graph.opset < 10) throw new Error(`the model uses opset ${graph.opset}; int8 QDQ needs opset 10 or later`);
  if (perChannel && graph.opset >= 11 && graph.opset < 13 && graph.nodes.every((n) => n.domain === '' && SAME_IN_OPSET_11_TO_13.has(n.op))) graph.opset = 13;
  // Nodes are named in reports and chosen by name to stay float: give the unnamed ones a name.
  const names = new Set(graph.nodes.map((n) => n.name));
  graph.nodes.forEach((n, i) => {
    if (n.name) return;
    n.name = graph.freshName(`${n.op}_${i}`, names);
    names.add(n.name);
  });
  return { graph, foldedBatchNorms: foldBatchNorms(graph) };
}

/**
 * Run the float model over the calibration inputs once and keep what every choice of method,
 * percentile or float nodes needs later (the histograms), so none of them runs it again.
 */
export async function recordCalibration(bytes: Uint8Array, calibration: QuantizeOptions['calibration'], perChannel = true): Promise<Calibration> {
  const { graph, foldedBatchNorms } = preparedGraph(bytes, perChannel);
  const { region, tensors, folded } = plan(graph, new Set());
  if (!region.size) throw new Error('nothing to quantize: the model has no Conv, MatMul or Gemm with stored float weights');
  const inputs: Float32Array[] = [];
  for await (const data of calibration) inputs.push(data);
  if (inputs.length < MINIMUM_CALIBRATION_INPUTS) {
    throw new Error(`calibration needs at least ${MINIMUM_CALIBRATION_INPUTS} images, got ${inputs.length || 'none'}: the ranges come from what the images show (16 to 64 different scenes are usual)`);
  }
  // Also the tensors a Relu folded away: they need a range when the node after them stays float.
  const histograms = await recordHistograms(graph, [...new Set([...tensors, ...folded.values()])], inputs);
  const computeNodes = graph.nodes.filter((n) => region.has(n) && COMPUTE_OPS.has(n.op)).map((n) => n.name);
  return { prepared: graph.encode(), inputs, histograms, foldedBatchNorms, computeNodes };
}

/** Quantize a float model; the result is a new model file's bytes, the input file is not touched. */
export async function quantizeModel(bytes: Uint8Array, options: QuantizeOptions): Promise<QuantizeReport> {
  return buildQuantized(await recordCalibration(bytes, options.calibration, options.perChannel ?? true), options);
}

function rangeOf(calibration: Calibration, tensor: string, histogram: ValueHistogram, method: RangeMethod, percentile?: number): Range {
  const key = method === 'percentile' ? `${method} ${percentile ?? ''}` : method;
  calibration.chosen ??= new Map();
  const known = calibration.chosen.get(key) ?? new Map<string, Range>();
  calibration.chosen.set(key, known);
  if (!known.has(tensor)) known.set(tensor, chooseRange(histogram, method, percentile));
  return known.get(tensor)!;
}

interface Quantization extends Plan {
  /** The prepared float graph, the scales and zero points already stored in it. */
  graph: OnnxGraph;
  perChannel: boolean;
  method: RangeMethod;
  /** Tensor names in use: new names are made fresh against it. */
  taken: Set<string>;
  paramsOf(tensor: string): { scale: number; scaleName: string; zeroPointName: string };
  /** QuantizeLinear and DequantizeLinear of a planned tensor with its scale; `output` is the copy readers take. */
  qdqFor(tensor: string): { nodes: GraphNode[]; output: string };
}

/** What a build decides before rewriting: the plan, each activation's range, scale and zero point. */
function quantization(calibration: Calibration, options: BuildOptions): Quantization {
  const graph = OnnxGraph.read(calibration.prepared);
  const perChannel = (options.perChannel ?? true) && graph.opset >= 13;
  const method = options.method ?? 'min-max';
  const spanOf = (t: string): number | undefined => {
    const h = calibration.histograms.get(t);
    return h && h.max - h.min;
  };
  const planned = plan(graph, new Set(options.exclude ?? []), options.only && new Set(options.only), spanOf);
  const { region, tensors, scaleOf } = planned;
  if (!region.size) throw new Error('nothing to quantize: every Conv, MatMul and Gemm is left in float');
  // Tensors float code reads next (a detector's scores, a classifier's logits) keep every value
  // seen: their extremes are the answer (see int8/ranges.ts).
  const leavesInt8 = new Set(graph.outputs.map((o) => o.name));
  for (const node of graph.nodes) if (!region.has(node)) node.inputs.forEach((i) => leavesInt8.add(i));
  // Shared scales cover every tensor that shares them.
  const groupRange = new Map<string, Range>();
  for (const t of tensors) {
    const histogram = calibration.histograms.get(t);
    if (!histogram) throw new Error(`no calibration histogram for tensor "${t}"`);
    const r = rangeOf(calibration, t, histogram, leavesInt8.has(t) ? 'min-max' : method, options.percentile);
    const lead = scaleOf.get(t)!;
    const known = groupRange.get(lead);
    groupRange.set(lead, known ? { min: Math.min(known.min, r.min), max: Math.max(known.max, r.max) } : r);
  }
  const taken = new Set(graph.nodes.flatMap((n) => [...n.inputs, ...n.outputs]));
  graph.inputs.forEach((v) => taken.add(v.name));
  const parameters = new Map<string, { scale: number; scaleName: string; zeroPointName: string }>();
  for (const [lead, range] of groupRange) {
    const { scale, zeroPoint } = uint8Parameters(range);
    const scaleName = graph.freshName(`${lead}_scale`, taken);
    const zeroPointName = graph.freshName(`${lead}_zero_point`, taken);
    graph.setInitializer(floatTensor(scaleName, [], [scale]));
    graph.setInitializer({ name: zeroPointName, dataType: DATA_TYPE.uint8, dims: [], data: Uint8Array.of(zeroPoint) });
    parameters.set(lead, { scale, scaleName, zeroPointName });
  }
  const paramsOf = (t: string): { scale: number; scaleName: string; zeroPointName: string } => parameters.get(scaleOf.get(t)!)!;
  const qdqFor = (t: string): { nodes: GraphNode[]; output: string } => {
    const p = paramsOf(t);
    const q = graph.freshName(`${t}_quantized`, taken);
    const dq = graph.freshName(`${t}_dequantized`, taken);
    return { nodes: [makeNode('QuantizeLinear', [t, p.scaleName, p.zeroPointName], [q]), makeNode('DequantizeLinear', [q, p.scaleName, p.zeroPointName], [dq])], output: dq };
  };
  return { ...planned, graph, perChannel, method, taken, paramsOf, qdqFor };
}

/**
 * The float model with, beside each int8 compute node, its int8 twin: reading the float input
 * through the int8 input's QuantizeLinear / DequantizeLinear, with int8 weights, writing an
 * output of its own. Run over calibration, the two outputs differ by that node's own int8 error
 * (what bias correction measures), free of what the nodes before it got wrong.
 */
export function buildTwinProbe(calibration: Calibration, options: BuildOptions = {}): { bytes: Uint8Array; twins: Array<{ node: string; float: string; int8: string; channelAxisFromEnd: boolean }> } {
  const { graph, region, perChannel, taken, paramsOf, qdqFor } = quantization(calibration, options);
  const twins: Array<{ node: string; float: string; int8: string; channelAxisFromEnd: boolean }> = [];
  const rewritten: GraphNode[] = [];
  for (const node of graph.nodes) {
    rewritten.push(node);
    if (!region.has(node) || !COMPUTE_OPS.has(node.op) || node.op === 'MatMul') continue;
    const input = qdqFor(node.inputs[0]);
    const stored = storedInputsInInt8(graph, node, paramsOf(node.inputs[0]).scale, perChannel, options.reduceRange === true, taken);
    const output = graph.freshName(`${node.outputs[0]}_int8_twin`, taken);
    const reads = [input.output, stored.weight, ...(stored.bias ? [stored.bias] : [])];
    rewritten.push(...input.nodes, ...stored.nodes, { ...node, name: graph.freshName(`${node.name}_int8_twin`, taken), inputs: reads, outputs: [output] });
    twins.push({ node: node.name, float: node.outputs[0], int8: output, channelAxisFromEnd: node.op !== 'Conv' });
  }
  graph.nodes = rewritten;
  return { bytes: graph.encode(), twins };
}

/** An int8 model from recorded calibration, with the ranges `options.method` chooses. */
export function buildQuantized(calibration: Calibration, options: BuildOptions = {}): QuantizeReport {
  const { graph, region, tensors, folded, perChannel, method, taken, paramsOf, qdqFor: made } = quantization(calibration, options);
  const count = calibration.inputs.length;
  const foldedBatchNorms = calibration.foldedBatchNorms;
  // Each planned tensor: quantized and dequantized right where it is made; readers take the copy.
  const dequantized = new Map<string, string>();
  const qdqFor = (t: string): GraphNode[] => {
    const { nodes, output } = made(t);
    dequantized.set(t, output);
    return nodes;
  };
  const planned = new Set(tensors);
  const rewritten: GraphNode[] = [];
  for (const input of graph.inputs) if (planned.has(input.name)) rewritten.push(...qdqFor(input.name));
  let weights = 0;
  const quantizedNodes: Record<string, number> = {};
  const renamed = new Map([...folded].map(([activation, before]) => [before, activation.outputs[0]]));
  for (const node of graph.nodes) {
    if (folded.has(node)) {
      quantizedNodes[node.op] = (quantizedNodes[node.op] ?? 0) + 1;
      continue;
    }
    const reads = node.inputs.map((i) => dequantized.get(i) ?? i);
    if (region.has(node) && COMPUTE_OPS.has(node.op)) {
      const stored = storedInputsInInt8(graph, node, paramsOf(node.inputs[0]).scale, perChannel, options.reduceRange === true, taken, options.biasShift?.get(node.name));
      rewritten.push(...stored.nodes);
      reads[1] = stored.weight;
      if (stored.bias) reads[2] = stored.bias;
      weights++;
    }
    if (region.has(node)) quantizedNodes[node.op] = (quantizedNodes[node.op] ?? 0) + 1;
    const outputs = node.outputs.map((o) => renamed.get(o) ?? o);
    rewritten.push({ ...node, inputs: reads, outputs });
    for (const output of outputs) if (planned.has(output)) rewritten.push(...qdqFor(output));
  }
  // Float weights now only reached through their int8 copies, and the bounds of folded Clips, are dropped.
  const stillRead = new Set(rewritten.flatMap((n) => n.inputs));
  for (const node of region) {
    if (!COMPUTE_OPS.has(node.op) && !folded.has(node)) continue;
    for (const stored of node.inputs.slice(1)) if (stored && !stillRead.has(stored) && graph.initializer(stored)) graph.deleteInitializer(stored);
  }
  graph.nodes = rewritten;
  graph.setMetadata('edge_ai_quantization', JSON.stringify({
    format: 'QDQ', activations: 'uint8', weights: options.reduceRange ? 'int7' : 'int8', perChannel, calibration: method,
    ...(method === 'percentile' ? { percentile: options.percentile ?? 99.99 } : {}), calibrationInputs: count,
    ...(options.biasShift?.size ? { biasCorrection: 'empirical' } : {}),
    ...(options.exclude?.length ? { float: options.exclude } : {}), ...(options.search ? { search: options.search } : {}),
  }));
  return { bytes: graph.encode(), quantizedNodes, activations: tensors.length, weights, calibrationInputs: count, foldedBatchNorms, opset: graph.opset };
}

/**
 * Calibration inputs from photos (Buffers or file paths), preprocessed the way the model doctor
 * proposes for this model, which is how the model node feeds it later.
 */
export const calibrationInputs = (modelBytes: Uint8Array, images: Iterable<Buffer | string>): AsyncGenerator<Float32Array> => modelInputs(modelBytes, images);
