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
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { preprocessImage } from '../image';
import { examineModel, inputGeometry, modelPreprocessSpec } from '../model';
import { readOnnxModelInfo } from '../onnx';
import {
  DATA_TYPE, OnnxGraph, attributeFloat, attributeInts, floatTensor, intAttribute, makeNode, tensorValueInfo, tensorValues, type GraphNode, type Tensor,
} from '../onnx';

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
/** Operators whose data input is the first one only (the rest are shapes, sizes, indices or bounds). */
const DATA_FIRST_OPS = new Set(['Resize', 'Split', 'Slice', 'Reshape', 'Squeeze', 'Unsqueeze', 'Clip']);

export interface QuantizeOptions {
  /** Calibration inputs for the model's one input, in its shape and layout (float32). */
  calibration: Iterable<Float32Array> | AsyncIterable<Float32Array>;
  /** One scale per output channel for weights (default true; needs opset 13 or later). */
  perChannel?: boolean;
  /**
   * 7-bit weights, for x86 CPUs without VNNI, whose int8 instruction (VPMADDUBSW) saturates on
   * full-range weights. Not needed on ARM or on x86 with VNNI.
   */
  reduceRange?: boolean;
  /** Node names (or output tensor names) to leave in float. */
  exclude?: string[];
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

interface Range {
  min: number;
  max: number;
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
function plan(graph: OnnxGraph, exclude: Set<string>): Plan {
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

  // Relu and Clip(0, max) right after an int8 node: the output's uint8 range starting at 0 clips
  // exactly as they do, so they go and the node before writes their output (as onnxruntime's own
  // quantizer does; a Q/DQ pair before them would keep the convolution off the int8 kernel).
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const producer = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const folded = new Map<GraphNode, string>();
  for (const node of region) {
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

/** Each planned tensor's smallest and largest value over all calibration inputs. */
async function measureMinMax(graph: OnnxGraph, tensors: string[], calibration: QuantizeOptions['calibration']): Promise<{ ranges: Map<string, Range>; count: number }> {
  const probe = OnnxGraph.read(graph.encode());
  const taken = new Set(probe.nodes.flatMap((n) => n.outputs));
  const outputs = new Map<string, [string, string]>();
  for (const t of tensors) {
    const [min, max] = [probe.freshName(`${t}_calibration_min`, taken), probe.freshName(`${t}_calibration_max`, taken)];
    probe.nodes.push(makeNode('ReduceMin', [t], [min], [intAttribute('keepdims', 0)]), makeNode('ReduceMax', [t], [max], [intAttribute('keepdims', 0)]));
    probe.outputs.push(tensorValueInfo(min, DATA_TYPE.float32), tensorValueInfo(max, DATA_TYPE.float32));
    outputs.set(t, [min, max]);
  }
  // Basic optimisation only: fusions would take away the tensors being read.
  const session = await ort.InferenceSession.create(probe.encode(), { graphOptimizationLevel: 'basic', logSeverityLevel: 3 });
  const input = session.inputMetadata[0];
  const dims = input.isTensor ? input.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1)) : [];
  const ranges = new Map<string, Range>();
  let count = 0;
  try {
    for await (const data of calibration) {
      count++;
      const result = await session.run({ [input.name]: new ort.Tensor('float32', data, dims) }, [...outputs.values()].flat());
      for (const [t, [min, max]] of outputs) {
        const [low, high] = [Number(result[min].data[0]), Number(result[max].data[0])];
        const known = ranges.get(t);
        ranges.set(t, { min: Math.min(low, known?.min ?? low), max: Math.max(high, known?.max ?? high) });
      }
    }
  } finally {
    await session.release();
  }
  if (!count) throw new Error('no calibration inputs: quantization needs at least one image');
  return { ranges, count };
}

/** The range each scale group is quantized over: every value seen in calibration. */
async function calibrate(
  graph: OnnxGraph, tensors: string[], scaleOf: Map<string, string>, calibration: QuantizeOptions['calibration'],
): Promise<{ groupRange: Map<string, Range>; count: number }> {
  const { ranges, count } = await measureMinMax(graph, tensors, calibration);
  // Shared scales cover every tensor that shares them.
  const groupRange = new Map<string, Range>();
  for (const t of tensors) {
    const r = ranges.get(t)!;
    const lead = scaleOf.get(t)!;
    const known = groupRange.get(lead);
    groupRange.set(lead, known ? { min: Math.min(known.min, r.min), max: Math.max(known.max, r.max) } : r);
  }
  return { groupRange, count };
}

/** uint8 scale and zero point covering the range (and zero, which must be exact). */
function activationParameters(range: Range): { scale: number; zeroPoint: number } {
  const min = Math.min(range.min, 0);
  const max = Math.max(range.max, 0);
  const scale = max > min ? (max - min) / 255 : 1;
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-min / scale))) };
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
  graph: OnnxGraph, node: GraphNode, inputScale: number, perChannel: boolean, reduceRange: boolean, taken: Set<string>,
): { nodes: GraphNode[]; weight: string; bias?: string } {
  const weight = graph.initializer(node.inputs[1])!;
  const transB = node.op === 'Gemm' && attributeValue(node, 'transB') === 1;
  // The output-channel axis: Conv [M,C,kh,kw] and Gemm with transB [N,K] have it first; MatMul and Gemm [K,N] last.
  const axis = !perChannel ? undefined : node.op === 'Conv' || transB ? 0 : 1;
  const { values, scales } = quantizeWeight(weight, axis, reduceRange);
  const w = dequantizedConstant(graph, taken, weight.name, values, weight.dims, scales, axis);
  const biasName = node.inputs[2];
  if (!biasName) return { nodes: [w.node], weight: w.output };
  // int32 bias in the accumulator's scale: input scale x weight scale (per channel).
  const bias = tensorValues(graph.initializer(biasName)!) as Float32Array;
  const biasScales = Float32Array.from(scales, (s) => inputScale * s);
  const channelScale = (c: number): number => biasScales[axis === undefined ? 0 : c];
  const quantizedBias = Int32Array.from(bias, (v, c) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(v / channelScale(c)))));
  const b = dequantizedConstant(graph, taken, biasName, quantizedBias, [bias.length], biasScales, axis);
  return { nodes: [w.node, b.node], weight: w.output, bias: b.output };
}

/** Quantize a float model; the result is a new model file's bytes, the input file is not touched. */
export async function quantizeModel(bytes: Uint8Array, options: QuantizeOptions): Promise<QuantizeReport> {
  const graph = OnnxGraph.read(bytes);
  if (graph.opset < 10) throw new Error(`the model uses opset ${graph.opset}; int8 QDQ needs opset 10 or later`);
  const wantPerChannel = options.perChannel ?? true;
  if (wantPerChannel && graph.opset >= 11 && graph.opset < 13 && graph.nodes.every((n) => n.domain === '' && SAME_IN_OPSET_11_TO_13.has(n.op))) graph.opset = 13;
  const perChannel = wantPerChannel && graph.opset >= 13;
  const foldedBatchNorms = foldBatchNorms(graph);
  const { region, tensors, scaleOf, folded } = plan(graph, new Set(options.exclude ?? []));
  if (!region.size) throw new Error('nothing to quantize: the model has no Conv, MatMul or Gemm with stored float weights');
  const { groupRange, count } = await calibrate(graph, tensors, scaleOf, options.calibration);
  const taken = new Set(graph.nodes.flatMap((n) => [...n.inputs, ...n.outputs]));
  graph.inputs.forEach((v) => taken.add(v.name));
  const parameters = new Map<string, { scale: number; scaleName: string; zeroPointName: string }>();
  for (const [lead, range] of groupRange) {
    const { scale, zeroPoint } = activationParameters(range);
    const scaleName = graph.freshName(`${lead}_scale`, taken);
    const zeroPointName = graph.freshName(`${lead}_zero_point`, taken);
    graph.setInitializer(floatTensor(scaleName, [], [scale]));
    graph.setInitializer({ name: zeroPointName, dataType: DATA_TYPE.uint8, dims: [], data: Uint8Array.of(zeroPoint) });
    parameters.set(lead, { scale, scaleName, zeroPointName });
  }
  const paramsOf = (t: string): { scale: number; scaleName: string; zeroPointName: string } => parameters.get(scaleOf.get(t)!)!;

  // Each planned tensor: quantized and dequantized right where it is made; readers take the copy.
  const dequantized = new Map<string, string>();
  const qdqFor = (t: string): GraphNode[] => {
    const p = paramsOf(t);
    const q = graph.freshName(`${t}_quantized`, taken);
    const dq = graph.freshName(`${t}_dequantized`, taken);
    dequantized.set(t, dq);
    return [makeNode('QuantizeLinear', [t, p.scaleName, p.zeroPointName], [q]), makeNode('DequantizeLinear', [q, p.scaleName, p.zeroPointName], [dq])];
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
      const stored = storedInputsInInt8(graph, node, paramsOf(node.inputs[0]).scale, perChannel, options.reduceRange === true, taken);
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
  // Float weights now only reached through their int8 copies are dropped.
  const stillRead = new Set(rewritten.flatMap((n) => n.inputs));
  for (const node of region) {
    if (!COMPUTE_OPS.has(node.op)) continue;
    for (const stored of node.inputs.slice(1)) if (stored && !stillRead.has(stored)) graph.deleteInitializer(stored);
  }
  graph.nodes = rewritten;
  graph.setMetadata('edge_ai_quantization', JSON.stringify({
    format: 'QDQ', activations: 'uint8', weights: options.reduceRange ? 'int7' : 'int8', perChannel, calibration: 'min-max', calibrationInputs: count,
  }));
  return { bytes: graph.encode(), quantizedNodes, activations: tensors.length, weights, calibrationInputs: count, foldedBatchNorms, opset: graph.opset };
}

/**
 * Calibration inputs from photos (Buffers or file paths), preprocessed the way the model doctor
 * proposes for this model, which is how the model node feeds it later.
 */
export async function* calibrationInputs(modelBytes: Uint8Array, images: Iterable<Buffer | string>): AsyncGenerator<Float32Array> {
  const onnx = readOnnxModelInfo(modelBytes);
  const doctor = examineModel(onnx);
  const geometry = inputGeometry('model', onnx.inputs);
  if (geometry.type !== 'float32') throw new Error(`the model's input is ${geometry.type}; quantization here takes float32 inputs`);
  const spec = modelPreprocessSpec({}, { doctor, input: geometry });
  for (const image of images) {
    const { tensor } = await preprocessImage(typeof image === 'string' ? await readFile(image) : image, undefined, spec, true);
    yield new Float32Array(tensor.data.buffer.slice(tensor.data.byteOffset, tensor.data.byteOffset + tensor.data.byteLength));
  }
}
