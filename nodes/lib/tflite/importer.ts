// The state of one TFLite → ONNX import: which ONNX value holds each TFLite tensor, in which
// layout, quantized or not, and the helpers the operator converters (ops.ts) build nodes with.
//
// Layout: TFLite is NHWC, onnxruntime's convolutions NCHW. A 4-D tensor may be held "nchw" (its
// NHWC values transposed by [0,3,1,2]); convolutions, pools and resizes read and write that
// layout, elementwise operators keep whatever their inputs have, and operators that depend on
// the element order (reshape, gather, ...) get "native" values. Transposes are made only where a
// value changes hands between the two, and two in a row are folded into one (or none).
//
// Quantization: a quantized TFLite tensor is held as its integers. An operator reads it through
// DequantizeLinear and writes it through QuantizeLinear (QDQ), which onnxruntime fuses into its
// int8 kernels; operators that only move data (reshape, transpose) pass the integers on as they are.
import { DATA_TYPE, OnnxGraph, intAttribute, intsAttribute, makeNode, tensorValueInfo, type Tensor } from '../onnx';
import type { Quantization, TfliteModel, TfliteOperator, TfliteTensor, TensorType } from './schema';

export type Layout = 'native' | 'nchw';

/** NHWC → NCHW. The held value's axis i is the TFLite tensor's axis TO_NCHW[i]. */
export const TO_NCHW = [0, 3, 1, 2];
export const FROM_NCHW = [0, 2, 3, 1];

/** An operator the importer cannot convert as it stands in the file; named in the import's error. */
export class UnsupportedOperator extends Error {
  constructor(readonly op: string, readonly reason: string) {
    super(`${op}: ${reason}`);
  }
}

const ONNX_TYPES: Partial<Record<TensorType, number>> = {
  float32: DATA_TYPE.float32, int32: DATA_TYPE.int32, uint8: DATA_TYPE.uint8, int64: DATA_TYPE.int64, bool: DATA_TYPE.bool,
  int16: DATA_TYPE.int16, int8: DATA_TYPE.int8, float64: DATA_TYPE.float64, uint32: DATA_TYPE.uint32, uint16: DATA_TYPE.uint16,
  // Half-precision constants are widened to float32 when read (see constantData).
  float16: DATA_TYPE.float32,
};

export function onnxType(tensor: TfliteTensor): number {
  const type = ONNX_TYPES[tensor.type];
  if (type === undefined) throw new UnsupportedOperator('tensor', `${tensor.name || `tensor ${tensor.index}`} is of type ${tensor.type}`);
  return type;
}

export interface ImportOptions {
  /** Make asymmetric uint8 weights symmetric int8 (faster in onnxruntime, not exact): see weightsAndBias. */
  symmetricWeights?: boolean;
}

interface Held {
  name: string;
  layout: Layout;
}

type Attribute = Uint8Array;

export class Importer {
  readonly graph = OnnxGraph.create(17, 'edge-ai tflite importer', 'tflite');
  readonly model: TfliteModel;
  readonly #held = new Map<number, Held>();
  readonly #cache = new Map<string, string>();
  readonly #taken = new Set<string>();
  /** Transposes made here, by their output: folded when another follows. */
  readonly #transposes = new Map<string, { input: string; perm: number[] }>();

  readonly options: ImportOptions;

  constructor(model: TfliteModel, options: ImportOptions = {}) {
    this.model = model;
    this.options = options;
    // Graph inputs and outputs keep the file's tensor names, so they are taken first.
    for (const i of [...model.inputs, ...model.outputs]) this.#taken.add(this.#ioName(i));
  }

  #ioName(index: number): string {
    return this.model.tensors[index].name || `tensor_${index}`;
  }

  tensor(index: number): TfliteTensor {
    return this.model.tensors[index];
  }

  fresh(base: string): string {
    return this.graph.freshName(base.replace(/[^\w./:-]+/g, '_').slice(0, 120) || 'v', this.#taken);
  }

  /** One node; returns the name of its (first) output. */
  node(op: string, inputs: string[], attributes: Attribute[] = [], outputs = 1, base = op): string[] {
    const names = Array.from({ length: outputs }, () => this.fresh(base));
    this.graph.nodes.push(makeNode(op, inputs, names, attributes));
    return names;
  }

  one(op: string, inputs: string[], attributes: Attribute[] = [], base = op): string {
    return this.node(op, inputs, attributes, 1, base)[0];
  }

  initializer(base: string, dataType: number, dims: number[], data: Uint8Array): string {
    const name = this.fresh(base);
    this.graph.setInitializer({ name, dataType, dims, data });
    return name;
  }

  ints64(values: number[], dims = [values.length]): string {
    const key = `i64:${dims}:${values}`;
    return this.#cached(key, () => this.initializer('ints', DATA_TYPE.int64, dims, new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer)));
  }

  scalarFloat(value: number): string {
    return this.#cached(`f32:${value}`, () => this.initializer('const', DATA_TYPE.float32, [], new Uint8Array(Float32Array.of(value).buffer)));
  }

  #cached(key: string, make: () => string): string {
    let name = this.#cache.get(key);
    if (name === undefined) {
      name = make();
      this.#cache.set(key, name);
    }
    return name;
  }

  // ---- tensors ----

  isConstant(index: number): boolean {
    return this.tensor(index).data !== undefined;
  }

  /** Quantized: held as integers with a scale (int8, uint8, and int32 biases). */
  isQuantized(index: number): boolean {
    const t = this.tensor(index);
    return !!t.quantization && (t.type === 'int8' || t.type === 'uint8' || t.type === 'int32');
  }

  sameQuantization(a: number, b: number): boolean {
    const qa = this.tensor(a).quantization;
    const qb = this.tensor(b).quantization;
    if (!this.isQuantized(a) || !this.isQuantized(b)) return !this.isQuantized(a) && !this.isQuantized(b) && this.tensor(a).type === this.tensor(b).type;
    return this.tensor(a).type === this.tensor(b).type && qa!.scale.length === 1 && qb!.scale.length === 1 &&
      Math.fround(qa!.scale[0]) === Math.fround(qb!.scale[0]) && qa!.zeroPoint[0] === qb!.zeroPoint[0];
  }

  /** How the tensor is held now (its layout), or undefined before it is computed. */
  layoutOf(index: number): Layout | undefined {
    if (this.isConstant(index)) return undefined;
    return this.#held.get(index)?.layout;
  }

  /** The layout a 4-D result should take when it comes from these inputs: nchw if any 4-D input is held so. */
  preferredLayout(indices: number[], outputRank: number): Layout {
    if (outputRank !== 4) return 'native';
    return indices.some((i) => i >= 0 && this.tensor(i).shape.length === 4 && this.layoutOf(i) === 'nchw') ? 'nchw' : 'native';
  }

  /** Graph input: held as fed (quantized inputs as their integers). */
  addInput(index: number): void {
    const t = this.tensor(index);
    const name = this.#ioName(index);
    // The file's own shape, batch included: the converted reshapes are sized for it.
    this.graph.inputs.push(tensorValueInfo(name, onnxType(t), t.shape));
    this.#held.set(index, { name, layout: 'native' });
  }

  /**
   * Graph output, under the file's name and shape. A quantized output comes out as its real
   * values (float32): the decoders read scores and boxes, not their integers.
   */
  addOutput(index: number): void {
    const t = this.tensor(index);
    const name = this.#ioName(index);
    const quantized = this.isQuantized(index);
    const value = this.isConstant(index) || quantized ? this.value(index, 'native') : this.heldValue(index, 'native');
    this.graph.nodes.push(makeNode('Identity', [value], [name]));
    this.graph.outputs.push(tensorValueInfo(name, quantized ? DATA_TYPE.float32 : onnxType(t), t.shape));
  }

  /** The tensor's integers (quantized) or values, in `layout`: for operators that only move data. */
  heldValue(index: number, layout: Layout): string {
    if (this.isConstant(index)) return this.#constant(index, layout === 'nchw' ? TO_NCHW : undefined, false);
    const held = this.#requireHeld(index);
    return this.relayout(held.name, held.layout, layout, this.tensor(index).shape.length);
  }

  /** The tensor's real values (dequantized when quantized), in `layout`. */
  value(index: number, layout: Layout = 'native'): string {
    if (this.isConstant(index)) return this.#constant(index, layout === 'nchw' ? TO_NCHW : undefined, true);
    const held = this.#requireHeld(index);
    let name = held.name;
    if (this.isQuantized(index)) name = this.#cached(`dq:${held.name}`, () => this.one('DequantizeLinear', [held.name, ...this.#scaleAndZeroPoint(index)], this.#axisAttr(index, held.layout === 'nchw' ? TO_NCHW : undefined), `${held.name}_dq`));
    return this.relayout(name, held.layout, layout, this.tensor(index).shape.length);
  }

  /**
   * The tensor's real values shaped to broadcast against a 4-D result in `layout` (numpy rules:
   * shorter shapes align to the last axes).
   */
  broadcastValue(index: number, layout: Layout): string {
    const rank = this.tensor(index).shape.length;
    if (layout === 'native' || rank === 4 || rank === 0 || this.tensor(index).shape.every((d) => d === 1)) return this.value(index, layout);
    const padded = [...Array(4 - rank).fill(1), ...this.tensor(index).shape];
    if (this.isConstant(index)) return this.#constant(index, TO_NCHW, true, padded);
    const reshaped = this.one('Reshape', [this.value(index, 'native'), this.ints64(padded)]);
    return this.transpose(reshaped, TO_NCHW);
  }

  /** Record the result of an operator: real values in `layout`; quantized results go through QuantizeLinear. */
  define(index: number, name: string, layout: Layout): void {
    if (this.isQuantized(index)) {
      const q = this.fresh(`${this.tensor(index).name || 't'}_q`);
      this.graph.nodes.push(makeNode('QuantizeLinear', [name, ...this.#scaleAndZeroPoint(index)], [q], this.#axisAttr(index, layout === 'nchw' ? TO_NCHW : undefined)));
      this.#held.set(index, { name: q, layout });
    } else this.#held.set(index, { name, layout });
  }

  /** Record a result that holds the same integers (or values) as it was given: no QDQ. */
  hold(index: number, name: string, layout: Layout): void {
    this.#held.set(index, { name, layout });
  }

  #requireHeld(index: number): Held {
    const held = this.#held.get(index);
    if (!held) throw new UnsupportedOperator('graph', `tensor ${index} (${this.tensor(index).name}) is read before any operator writes it`);
    return held;
  }

  relayout(name: string, from: Layout, to: Layout, rank: number): string {
    if (from === to || rank !== 4) return name;
    return this.transpose(name, to === 'nchw' ? TO_NCHW : FROM_NCHW);
  }

  /** A Transpose, folded with the one that made its input (none at all when they cancel). */
  transpose(name: string, perm: number[]): string {
    const before = this.#transposes.get(name);
    if (before) {
      name = before.input;
      perm = perm.map((p) => before.perm[p]);
    }
    if (perm.every((p, i) => p === i)) return name;
    return this.#cached(`tr:${name}:${perm}`, () => {
      const out = this.one('Transpose', [name], [intsAttribute('perm', perm)]);
      this.#transposes.set(out, { input: name, perm });
      return out;
    });
  }

  // ---- quantization parameters ----

  #quantization(index: number): Quantization {
    return this.tensor(index).quantization!;
  }

  #scaleAndZeroPoint(index: number, signedWeights = false): string[] {
    const t = this.tensor(index);
    const q = this.#quantization(index);
    const perAxis = q.scale.length > 1;
    const dims = perAxis ? [q.scale.length] : [];
    let zeroPoints = q.zeroPoint.length === q.scale.length ? q.zeroPoint : q.scale.map(() => q.zeroPoint[0] ?? 0);
    let zeroType = onnxType(t);
    if (signedWeights) {
      zeroPoints = zeroPoints.map((z) => z - 128);
      zeroType = DATA_TYPE.int8;
    }
    const zeroData = zeroType === DATA_TYPE.int32 ? new Uint8Array(Int32Array.from(zeroPoints).buffer)
      : zeroType === DATA_TYPE.int8 ? new Uint8Array(Int8Array.from(zeroPoints).buffer) : Uint8Array.from(zeroPoints);
    const key = `q:${zeroType}:${q.scale.map((s) => Math.fround(s))}:${zeroPoints}`;
    return [
      this.#cached(`s:${key}`, () => this.initializer('scale', DATA_TYPE.float32, dims, new Uint8Array(Float32Array.from(q.scale).buffer))),
      this.#cached(`z:${key}`, () => this.initializer('zero_point', zeroType, dims, zeroData)),
    ];
  }

  /** DequantizeLinear/QuantizeLinear's axis for per-axis parameters, moved with the tensor's axes. */
  #axisAttr(index: number, perm?: number[], padded = 0): Attribute[] {
    const q = this.#quantization(index);
    if (q.scale.length <= 1) return [];
    const axis = q.axis + padded;
    return [intAttribute('axis', perm ? perm.indexOf(axis) : axis)];
  }

  // ---- constants ----

  /**
   * A constant tensor as an initializer, its axes permuted by `perm` (after padding its shape
   * to `shape`); real values through DequantizeLinear when `real` and it is quantized.
   */
  #constant(index: number, perm: number[] | undefined, real: boolean, shape?: number[]): string {
    const t = this.tensor(index);
    if (perm && (shape ?? t.shape).length !== perm.length) perm = undefined;
    return this.#cached(`c:${index}:${perm ?? ''}:${shape ?? ''}:${real}`, () => this.constant(index, perm, real, shape));
  }

  /** As #constant, uncached: for weights laid out for one operator (ops.ts). */
  constant(index: number, perm: number[] | undefined, real: boolean, shape?: number[]): string {
    const t = this.tensor(index);
    const dims = shape ?? t.shape;
    const { data, elementSize } = constantData(t);
    let permuted = perm ? permute(data, dims, perm, elementSize) : data;
    const outDims = perm ? perm.map((p) => dims[p]) : dims;
    // uint8 weights (TF1's quantization, Coral files) run on onnxruntime's slow U8U8 path; as
    // int8 with both values and zero point moved by 128, every real value stays and the fast
    // U8S8 kernels take them.
    const signedWeights = real && t.type === 'uint8' && this.isQuantized(index);
    if (signedWeights) permuted = Uint8Array.from(permuted, (v) => (v - 128) & 0xff);
    const name = this.initializer(t.name || 'const', signedWeights ? DATA_TYPE.int8 : onnxType(t), outDims, permuted);
    if (!real || !this.isQuantized(index)) return name;
    const padded = dims.length - t.shape.length;
    return this.one('DequantizeLinear', [name, ...this.#scaleAndZeroPoint(index, signedWeights)], this.#axisAttr(index, perm, padded), `${t.name || 'const'}_dq`);
  }

  /**
   * A convolution's weights and bias. As the file has them, unless the import was asked for
   * symmetric weights: then asymmetric uint8 weights (TF1's quantization, Coral files), which
   * onnxruntime runs on its slower kernels (zero point not 0), become symmetric int8 per output
   * channel. A channel whose values all lie within 127 of the zero point is moved exactly; the
   * few that do not are requantized with a scale of their own, and the bias with them (counted
   * in `requantizedChannels`): faster, not exact.
   */
  weightsAndBias(weights: number, bias: number | undefined, perm: number[], channelAxis: number): string[] {
    const t = this.tensor(weights);
    const q = t.quantization;
    const plainBias = bias === undefined ? [] : [this.value(bias)];
    if (!this.options.symmetricWeights || t.type !== 'uint8' || !q || q.scale.length !== 1 || !t.data) return [this.constant(weights, perm, true), ...plainBias];
    const [scale, zero] = [q.scale[0], q.zeroPoint[0] ?? 0];
    const channels = t.shape[channelAxis];
    const inner = t.shape.slice(channelAxis + 1).reduce((a, b) => a * b, 1);
    const low = new Array<number>(channels).fill(255);
    const high = new Array<number>(channels).fill(0);
    t.data.forEach((v, i) => {
      const c = Math.floor(i / inner) % channels;
      if (v < low[c]) low[c] = v;
      if (v > high[c]) high[c] = v;
    });
    const reach = low.map((l, c) => Math.max(zero - l, high[c] - zero));
    const scales = reach.map((r) => (r <= 127 ? scale : (scale * r) / 127));
    this.requantizedChannels += reach.filter((r) => r > 127).length;
    const values = Int8Array.from(t.data, (v, i) => {
      const c = Math.floor(i / inner) % channels;
      return reach[c] <= 127 ? v - zero : Math.round(((v - zero) * 127) / reach[c]);
    });
    const dims = perm.map((p) => t.shape[p]);
    const axis = intAttribute('axis', perm.indexOf(channelAxis));
    const name = this.initializer(t.name || 'weights', DATA_TYPE.int8, dims, permute(new Uint8Array(values.buffer), t.shape, perm, 1));
    const zeros8 = this.initializer('zero_point', DATA_TYPE.int8, [channels], new Uint8Array(channels));
    const w = this.one('DequantizeLinear', [name, this.initializer('scale', DATA_TYPE.float32, [channels], new Uint8Array(Float32Array.from(scales).buffer)), zeros8], [axis], `${t.name || 'weights'}_dq`);
    const b = bias === undefined ? undefined : this.tensor(bias);
    if (!b?.data || b.type !== 'int32' || b.quantization?.scale.length !== 1) return [w, ...plainBias];
    // The bias's scale is the input's times the weights': it follows each channel's new scale.
    const biasScale = b.quantization.scale[0];
    const stored = new Int32Array(new Uint8Array(b.data).buffer);
    const biasValues = Int32Array.from(stored, (v, c) => Math.round((v * scale) / scales[c]));
    const biasName = this.initializer(b.name || 'bias', DATA_TYPE.int32, [channels], new Uint8Array(biasValues.buffer));
    const biasScales = this.initializer('scale', DATA_TYPE.float32, [channels], new Uint8Array(Float32Array.from(scales, (sc) => (biasScale * sc) / scale).buffer));
    const zeros32 = this.initializer('zero_point', DATA_TYPE.int32, [channels], new Uint8Array(channels * 4));
    return [w, this.one('DequantizeLinear', [biasName, biasScales, zeros32], [intAttribute('axis', 0)], `${b.name || 'bias'}_dq`)];
  }

  /** Weight channels requantized by weightsAndBias (they did not fit int8 at the file's scale). */
  requantizedChannels = 0;

  /** A constant's values as numbers (shapes, axes, sizes). */
  constantNumbers(index: number, what: string): number[] {
    const t = this.tensor(index);
    if (!t?.data) throw new UnsupportedOperator(what, 'needs a constant here but the file computes it');
    const { data } = constantData(t);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const count = t.shape.reduce((a, b) => a * b, 1);
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      switch (t.type) {
        case 'int32': out.push(view.getInt32(i * 4, true)); break;
        case 'int64': out.push(Number(view.getBigInt64(i * 8, true))); break;
        case 'float32': case 'float16': out.push(view.getFloat32(i * 4, true)); break;
        case 'int8': out.push(view.getInt8(i)); break;
        case 'uint8': out.push(view.getUint8(i)); break;
        default: throw new UnsupportedOperator(what, `reads a constant of type ${t.type}`);
      }
    }
    return out;
  }

  /** The operator's input tensor i, or undefined when omitted. */
  input(op: TfliteOperator, i: number): number | undefined {
    const index = op.inputs[i];
    return index === undefined || index < 0 ? undefined : index;
  }
}

/** A constant's bytes, float16 widened to float32. */
function constantData(t: TfliteTensor): { data: Uint8Array; elementSize: number } {
  const data = t.data!;
  if (t.type !== 'float16') return { data, elementSize: data.length / Math.max(1, t.shape.reduce((a, b) => a * b, 1)) || 1 };
  const halves = new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const floats = Float32Array.from(halves, halfToFloat);
  return { data: new Uint8Array(floats.buffer), elementSize: 4 };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A C-order array's bytes with its axes permuted: out axis i is in axis perm[i]. */
export function permute(data: Uint8Array, dims: number[], perm: number[], elementSize: number): Uint8Array {
  const rank = dims.length;
  const outDims = perm.map((p) => dims[p]);
  const strides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i];
  }
  const inStrides = perm.map((p) => strides[p]);
  // Elements as whole numbers of their size: a copy gives the typed view its alignment.
  type Elements = { length: number; buffer: ArrayBufferLike; [i: number]: number | bigint };
  const View = (elementSize === 8 ? BigUint64Array : elementSize === 4 ? Uint32Array : elementSize === 2 ? Uint16Array : Uint8Array) as unknown as new (from: ArrayBufferLike | number) => Elements;
  const source = new View(new Uint8Array(data).buffer);
  const out = new View(source.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let from = 0;
    for (let i = 0; i < rank; i++) from += index[i] * inStrides[i];
    out[o] = source[from];
    for (let i = rank - 1; i >= 0; i--) {
      if (++index[i] < outDims[i]) break;
      index[i] = 0;
    }
  }
  return new Uint8Array(out.buffer);
}
