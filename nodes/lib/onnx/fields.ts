// Field numbers of the ONNX protobuf messages (onnx.proto3) that this package reads and writes,
// and the one table of tensor element types.
export const MODEL = { IR_VERSION: 1, PRODUCER_NAME: 2, PRODUCER_VERSION: 3, GRAPH: 7, OPSET_IMPORT: 8, METADATA_PROPS: 14, FUNCTIONS: 25 } as const;
export const OPSET = { DOMAIN: 1, VERSION: 2 } as const;
export const ENTRY = { KEY: 1, VALUE: 2 } as const;
export const GRAPH = { NODE: 1, NAME: 2, INITIALIZER: 5, INPUT: 11, OUTPUT: 12, VALUE_INFO: 13, SPARSE_INITIALIZER: 15 } as const;
export const FUNCTION = { NODE: 7 } as const;
export const SPARSE_TENSOR = { VALUES: 1, INDICES: 2 } as const;
export const NODE = { INPUT: 1, OUTPUT: 2, NAME: 3, OP_TYPE: 4, ATTRIBUTE: 5, DOMAIN: 7 } as const;
export const ATTRIBUTE = { NAME: 1, FLOAT: 2, INT: 3, STRING: 4, TENSOR: 5, GRAPH: 6, INTS: 8, TENSORS: 10, GRAPHS: 11, SPARSE_TENSOR: 22, SPARSE_TENSORS: 23, TYPE: 20 } as const;
/** AttributeProto.AttributeType values. */
export const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, INTS: 7 } as const;
export const TENSOR = { DIMS: 1, DATA_TYPE: 2, FLOAT_DATA: 4, INT32_DATA: 5, INT64_DATA: 7, NAME: 8, RAW_DATA: 9, EXTERNAL_DATA: 13, DATA_LOCATION: 14 } as const;
export const VALUE = { NAME: 1, TYPE: 2 } as const;
export const TYPE = { TENSOR: 1 } as const;
export const TENSOR_TYPE = { ELEM: 1, SHAPE: 2 } as const;
export const SHAPE = { DIM: 1 } as const;
export const DIM = { VALUE: 1, PARAM: 2 } as const;

/** TensorProto.DataType: each element type's number, its name as onnxruntime-node names it, and its size in bytes (0: variable). */
const ELEMENT_TYPES = [
  [1, 'float32', 4], [2, 'uint8', 1], [3, 'int8', 1], [4, 'uint16', 2], [5, 'int16', 2], [6, 'int32', 4], [7, 'int64', 8],
  [8, 'string', 0], [9, 'bool', 1], [10, 'float16', 2], [11, 'float64', 8], [12, 'uint32', 4], [13, 'uint64', 8],
] as const;

type ElementName = (typeof ELEMENT_TYPES)[number][1];

/** An element type's number by its name: DATA_TYPE.float32 is 1. */
export const DATA_TYPE = Object.fromEntries(ELEMENT_TYPES.map(([code, name]) => [name, code])) as { readonly [name in ElementName]: number };

const BY_CODE = new Map<number, { name: string; bytes: number }>(ELEMENT_TYPES.map(([code, name, bytes]) => [code, { name, bytes }]));

/** An element type's name ("float32"), or "type N" for a number this table lacks. */
export const elementTypeName = (code: number): string => BY_CODE.get(code)?.name ?? `type ${code}`;

/** An element's size in bytes; undefined for strings and types this table lacks. */
export const elementBytes = (code: number): number | undefined => BY_CODE.get(code)?.bytes || undefined;
