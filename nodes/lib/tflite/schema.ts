// The part of TensorFlow Lite's schema (tensorflow/compiler/mlir/lite/schema/schema.fbs) that
// the importer reads, as plain objects: the model, its main subgraph, tensors with their
// quantization, operators with their builtin options, buffers and metadata. Field slots are the
// fields' order in schema.fbs (a union takes two: its type, then its value).
import { FlatBufferError, FlatTable } from './flatbuffer';

/** TensorType, by number. */
export const TENSOR_TYPES = [
  'float32', 'float16', 'int32', 'uint8', 'int64', 'string', 'bool', 'int16', 'complex64', 'int8',
  'float64', 'complex128', 'uint64', 'resource', 'variant', 'uint32', 'uint16', 'int4', 'bfloat16',
] as const;
export type TensorType = (typeof TENSOR_TYPES)[number];

/** BuiltinOperator names by number, for the operators the importer knows or names in errors. */
export const BUILTIN_OPERATORS: Record<number, string> = {
  0: 'ADD', 1: 'AVERAGE_POOL_2D', 2: 'CONCATENATION', 3: 'CONV_2D', 4: 'DEPTHWISE_CONV_2D', 5: 'DEPTH_TO_SPACE',
  6: 'DEQUANTIZE', 7: 'EMBEDDING_LOOKUP', 8: 'FLOOR', 9: 'FULLY_CONNECTED', 10: 'HASHTABLE_LOOKUP', 11: 'L2_NORMALIZATION',
  12: 'L2_POOL_2D', 13: 'LOCAL_RESPONSE_NORMALIZATION', 14: 'LOGISTIC', 15: 'LSH_PROJECTION', 16: 'LSTM', 17: 'MAX_POOL_2D',
  18: 'MUL', 19: 'RELU', 20: 'RELU_N1_TO_1', 21: 'RELU6', 22: 'RESHAPE', 23: 'RESIZE_BILINEAR', 24: 'RNN', 25: 'SOFTMAX',
  26: 'SPACE_TO_DEPTH', 27: 'SVDF', 28: 'TANH', 32: 'CUSTOM', 34: 'PAD', 36: 'GATHER', 37: 'BATCH_TO_SPACE_ND',
  38: 'SPACE_TO_BATCH_ND', 39: 'TRANSPOSE', 40: 'MEAN', 41: 'SUB', 42: 'DIV', 43: 'SQUEEZE', 44: 'UNIDIRECTIONAL_SEQUENCE_LSTM',
  45: 'STRIDED_SLICE', 47: 'EXP', 48: 'TOPK_V2', 49: 'SPLIT', 50: 'LOG_SOFTMAX', 53: 'CAST', 54: 'PRELU', 55: 'MAXIMUM',
  56: 'ARG_MAX', 57: 'MINIMUM', 58: 'LESS', 59: 'NEG', 60: 'PADV2', 61: 'GREATER', 62: 'GREATER_EQUAL', 63: 'LESS_EQUAL',
  64: 'SELECT', 65: 'SLICE', 66: 'SIN', 67: 'TRANSPOSE_CONV', 69: 'TILE', 70: 'EXPAND_DIMS', 71: 'EQUAL', 72: 'NOT_EQUAL',
  73: 'LOG', 74: 'SUM', 75: 'SQRT', 76: 'RSQRT', 77: 'SHAPE', 78: 'POW', 79: 'ARG_MIN', 81: 'REDUCE_PROD', 82: 'REDUCE_MAX',
  83: 'PACK', 84: 'LOGICAL_OR', 85: 'ONE_HOT', 86: 'LOGICAL_AND', 87: 'LOGICAL_NOT', 88: 'UNPACK', 89: 'REDUCE_MIN',
  90: 'FLOOR_DIV', 92: 'SQUARE', 94: 'FILL', 95: 'FLOOR_MOD', 96: 'RANGE', 97: 'RESIZE_NEAREST_NEIGHBOR', 98: 'LEAKY_RELU',
  99: 'SQUARED_DIFFERENCE', 100: 'MIRROR_PAD', 101: 'ABS', 102: 'SPLIT_V', 104: 'CEIL', 106: 'ADD_N', 107: 'GATHER_ND',
  108: 'COS', 109: 'WHERE', 111: 'ELU', 114: 'QUANTIZE', 116: 'ROUND', 117: 'HARD_SWISH', 120: 'NON_MAX_SUPPRESSION_V4',
  121: 'NON_MAX_SUPPRESSION_V5', 123: 'SELECT_V2', 126: 'BATCH_MATMUL', 130: 'BROADCAST_TO', 150: 'GELU',
};

export interface Quantization {
  scale: number[];
  zeroPoint: number[];
  /** The axis per-axis scales run along. */
  axis: number;
}

export interface TfliteTensor {
  index: number;
  name: string;
  type: TensorType;
  shape: number[];
  /** -1 for axes of unknown size, when the file says. */
  shapeSignature: number[];
  /** The constant's bytes (little-endian, C order), undefined for computed tensors. */
  data?: Uint8Array;
  quantization?: Quantization;
}

export interface TfliteOperator {
  index: number;
  /** BuiltinOperator name, "CUSTOM:<code>" for custom ones, or "#<number>" for builtins this table lacks. */
  op: string;
  version: number;
  /** Tensor indices; -1 for an omitted optional input. */
  inputs: number[];
  outputs: number[];
  /** The builtin options table, read by the operator's converter. */
  options?: FlatTable;
}

export interface TfliteModel {
  version: number;
  description: string;
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
  subgraphCount: number;
  /** Metadata entries: name and the bytes of the buffer they name. */
  metadata: Map<string, Uint8Array>;
}

const MODEL = { VERSION: 0, OPERATOR_CODES: 1, SUBGRAPHS: 2, DESCRIPTION: 3, BUFFERS: 4, METADATA: 6 } as const;
const SUBGRAPH = { TENSORS: 0, INPUTS: 1, OUTPUTS: 2, OPERATORS: 3 } as const;
const TENSOR = { SHAPE: 0, TYPE: 1, BUFFER: 2, NAME: 3, QUANTIZATION: 4, SPARSITY: 6, SHAPE_SIGNATURE: 7 } as const;
const QUANT = { SCALE: 2, ZERO_POINT: 3, DETAILS_TYPE: 4, AXIS: 6 } as const;
const OPCODE = { DEPRECATED_BUILTIN: 0, CUSTOM: 1, VERSION: 2, BUILTIN: 3 } as const;
const OPERATOR = { OPCODE: 0, INPUTS: 1, OUTPUTS: 2, OPTIONS: 4 } as const;
const BUFFER = { DATA: 0, OFFSET: 1, SIZE: 2 } as const;
const METADATA = { NAME: 0, BUFFER: 1 } as const;

/** Elements of a shape are refused above this (a tensor claiming more than the file could hold). */
const MAX_ELEMENTS = 2 ** 31;

export function readTflite(bytes: Uint8Array): TfliteModel {
  const root = FlatTable.root(bytes, 'TFL3', 'model');
  const buffers = root.tables(MODEL.BUFFERS, 'buffer').map((b) => bufferData(b, bytes));
  const codes = root.tables(MODEL.OPERATOR_CODES, 'operator code').map((c) => {
    const code = Math.max(c.scalar(OPCODE.DEPRECATED_BUILTIN, 'int8'), c.scalar(OPCODE.BUILTIN, 'int32'));
    return { op: code === 32 ? `CUSTOM:${c.string(OPCODE.CUSTOM)}` : BUILTIN_OPERATORS[code] ?? `#${code}`, version: c.scalar(OPCODE.VERSION, 'int32', 1) };
  });
  const subgraphs = root.tables(MODEL.SUBGRAPHS, 'subgraph');
  if (!subgraphs.length) throw new FlatBufferError('the model has no subgraph');
  const main = subgraphs[0];
  const tensors = main.tables(SUBGRAPH.TENSORS, 'tensor').map((t, index) => readTensor(t, index, buffers));
  const tensorIndex = (i: number, what: string, optional = false): number => {
    if ((optional && i === -1) || (Number.isInteger(i) && i >= 0 && i < tensors.length)) return i;
    throw new FlatBufferError(`${what} names tensor ${i}, but the subgraph has ${tensors.length}`);
  };
  const operators = main.tables(SUBGRAPH.OPERATORS, 'operator').map((o, index): TfliteOperator => {
    const codeIndex = o.scalar(OPERATOR.OPCODE, 'uint32');
    const code = codes[codeIndex];
    if (!code) throw new FlatBufferError(`operator ${index} names operator code ${codeIndex}, but the model has ${codes.length}`);
    return {
      index, op: code.op, version: code.version,
      inputs: o.numbers(OPERATOR.INPUTS, 'int32').map((i) => tensorIndex(i, `operator ${index} (${code.op})`, true)),
      outputs: o.numbers(OPERATOR.OUTPUTS, 'int32').map((i) => tensorIndex(i, `operator ${index} (${code.op})`)),
      options: o.table(OPERATOR.OPTIONS, `${code.op} options`),
    };
  });
  const metadata = new Map<string, Uint8Array>();
  for (const m of root.tables(MODEL.METADATA, 'metadata')) {
    const data = buffers[m.scalar(METADATA.BUFFER, 'uint32')];
    if (data) metadata.set(m.string(METADATA.NAME), data);
  }
  return {
    version: root.scalar(MODEL.VERSION, 'uint32'),
    description: root.string(MODEL.DESCRIPTION),
    tensors,
    inputs: main.numbers(SUBGRAPH.INPUTS, 'int32').map((i) => tensorIndex(i, 'the subgraph\'s inputs')),
    outputs: main.numbers(SUBGRAPH.OUTPUTS, 'int32').map((i) => tensorIndex(i, 'the subgraph\'s outputs')),
    operators,
    subgraphCount: subgraphs.length,
    metadata,
  };
}

/** A buffer's bytes: inside the FlatBuffer, or (models over 2 GB) at an offset of the file. */
function bufferData(buffer: FlatTable, file: Uint8Array): Uint8Array {
  const offset = buffer.scalar(BUFFER.OFFSET, 'int64');
  if (offset > 1) {
    const size = buffer.scalar(BUFFER.SIZE, 'int64');
    if (offset + size > file.length) throw new FlatBufferError(`a buffer lies at bytes ${offset}..${offset + size}, outside the ${file.length} bytes there are`);
    return file.subarray(offset, offset + size);
  }
  return buffer.bytes(BUFFER.DATA) ?? new Uint8Array(0);
}

/** The values a zero point can take in a tensor of each integer type. */
const ZERO_POINT_RANGE: Partial<Record<TensorType, [number, number]>> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], int32: [-(2 ** 31), 2 ** 31 - 1],
};

const ELEMENT_BYTES: Partial<Record<TensorType, number>> = {
  float32: 4, float16: 2, int32: 4, uint8: 1, int64: 8, bool: 1, int16: 2, int8: 1, float64: 8, uint64: 8, uint32: 4, uint16: 2,
};

function readTensor(t: FlatTable, index: number, buffers: Uint8Array[]): TfliteTensor {
  const typeCode = t.scalar(TENSOR.TYPE, 'int8');
  const type = TENSOR_TYPES[typeCode];
  const name = t.string(TENSOR.NAME);
  const what = `tensor ${index} (${name || 'unnamed'})`;
  if (!type) throw new FlatBufferError(`${what} has type number ${typeCode}, which TensorFlow Lite does not define`);
  const shape = t.numbers(TENSOR.SHAPE, 'int32');
  if (shape.some((d) => d < 0)) throw new FlatBufferError(`${what} has shape [${shape}]`);
  const elements = shape.reduce((a, b) => a * b, 1);
  if (elements > MAX_ELEMENTS) throw new FlatBufferError(`${what} claims ${elements} elements`);
  if (t.has(TENSOR.SPARSITY)) throw new FlatBufferError(`${what} is stored sparse, which is not read here`);
  const tensor: TfliteTensor = { index, name, type, shape, shapeSignature: t.numbers(TENSOR.SHAPE_SIGNATURE, 'int32') };
  const bufferIndex = t.scalar(TENSOR.BUFFER, 'uint32');
  if (bufferIndex >= buffers.length && bufferIndex !== 0) throw new FlatBufferError(`${what} names buffer ${bufferIndex}, but the model has ${buffers.length}`);
  const data = buffers[bufferIndex];
  if (data && data.length) {
    const size = ELEMENT_BYTES[type];
    if (size === undefined) throw new FlatBufferError(`${what} is a constant of type ${type}, which is not read here`);
    if (data.length !== elements * size) throw new FlatBufferError(`${what} holds ${data.length} bytes, its shape [${shape}] of ${type} needs ${elements * size}`);
    tensor.data = data;
  }
  const q = t.table(TENSOR.QUANTIZATION, `${what}'s quantization`);
  if (q) {
    const scale = q.numbers(QUANT.SCALE, 'float32');
    const zeroPoint = q.numbers(QUANT.ZERO_POINT, 'int64');
    if (q.scalar(QUANT.DETAILS_TYPE, 'uint8')) throw new FlatBufferError(`${what} uses custom quantization, which is not read here`);
    if (scale.length) {
      const axis = q.scalar(QUANT.AXIS, 'int32');
      if (zeroPoint.length !== scale.length && zeroPoint.length > 1) throw new FlatBufferError(`${what} has ${scale.length} scales but ${zeroPoint.length} zero points`);
      if (scale.length > 1 && (axis < 0 || axis >= shape.length || shape[axis] !== scale.length)) {
        throw new FlatBufferError(`${what} has ${scale.length} scales along axis ${axis} of shape [${shape}]`);
      }
      if (scale.some((s) => !(s > 0) || !Number.isFinite(s))) throw new FlatBufferError(`${what} has a scale that is not a positive number`);
      // Written into an ONNX zero point of the tensor's own type, a value outside it would wrap
      // (300 as int8 is 44) and silently shift every value of the tensor.
      const range = ZERO_POINT_RANGE[type];
      const outside = range && zeroPoint.find((z) => z < range[0] || z > range[1]);
      if (outside !== undefined) throw new FlatBufferError(`${what} has zero point ${outside}, outside the range of ${type} (${range![0]} to ${range![1]})`);
      tensor.quantization = { scale, zeroPoint: zeroPoint.length ? zeroPoint : scale.map(() => 0), axis };
    }
  }
  return tensor;
}
