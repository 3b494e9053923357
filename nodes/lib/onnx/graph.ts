// An ONNX model's main graph as editable lists (nodes, initializers, inputs, outputs), for the
// tools that rewrite models: the quantizer and the input-size change. Everything this module
// does not edit (weights left alone, value_info, metadata, other model fields) is kept as the
// original bytes and written back unchanged, so a rewrite never copies what it does not touch.
import { WIRE_FIXED32, WIRE_LENGTH, WIRE_VARINT, fields, lengthField, rawField, signedIntegers, text, varintField, type Field } from './protobuf';
import { ATTRIBUTE, ATTRIBUTE_TYPE, DATA_TYPE, GRAPH, MODEL, NODE, TENSOR, elementBytes } from './fields';
import { readValueInfo, type ValueInfo } from './value-info';

export interface GraphNode {
  op: string;
  /** '' for the default ONNX domain. */
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  /** Each attribute's encoded AttributeProto, by name. */
  attributes: Map<string, Uint8Array>;
}

/** A tensor with its values as little-endian bytes (raw_data). */
export interface Tensor {
  name: string;
  dataType: number;
  dims: number[];
  data: Uint8Array;
}

/** A field's integer values: one varint, or a packed list (int64, negatives as 10-byte varints). */
const integers = (bytes: Uint8Array, f: Field): number[] => signedIntegers(bytes, f, 64);

export function readTensor(bytes: Uint8Array, start: number, end: number): Tensor {
  const tensor: Tensor = { name: '', dataType: 0, dims: [], data: new Uint8Array(0) };
  const floats: number[] = [];
  const ints: number[] = [];
  for (const f of fields(bytes, start, end)) {
    if (f.number === TENSOR.NAME && f.wire === WIRE_LENGTH) tensor.name = text(bytes, f);
    else if (f.number === TENSOR.DIMS) tensor.dims.push(...integers(bytes, f));
    else if (f.number === TENSOR.DATA_TYPE && f.wire === WIRE_VARINT) tensor.dataType = f.value;
    else if (f.number === TENSOR.RAW_DATA && f.wire === WIRE_LENGTH) tensor.data = bytes.subarray(f.start, f.end);
    else if (f.number === TENSOR.FLOAT_DATA) {
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      for (let at = f.start; at < f.end; at += 4) floats.push(view.getFloat32(at, true));
    } else if (f.number === TENSOR.INT32_DATA || f.number === TENSOR.INT64_DATA) ints.push(...integers(bytes, f));
    else if (f.number === TENSOR.DATA_LOCATION && f.value === 1) throw new Error(`tensor ${tensor.name || '?'} keeps its data in an external file`);
  }
  if (floats.length) tensor.data = new Uint8Array(Float32Array.from(floats).buffer);
  else if (ints.length) {
    const count = ints.length;
    if (tensor.dataType === DATA_TYPE.int64) tensor.data = new Uint8Array(BigInt64Array.from(ints, (v) => BigInt(v)).buffer);
    else if (tensor.dataType === DATA_TYPE.int32) tensor.data = new Uint8Array(Int32Array.from(ints).buffer);
    else tensor.data = Uint8Array.from(ints.slice(0, count), (v) => v & 0xff);
  }
  const size = elementBytes(tensor.dataType);
  const expected = tensor.dims.reduce((a, b) => a * b, 1) * (size ?? 0);
  if (size && tensor.data.length !== expected) throw new Error(`tensor ${tensor.name} holds ${tensor.data.length} bytes, its dims [${tensor.dims}] need ${expected}`);
  return tensor;
}

export function encodeTensor(tensor: Tensor): Buffer {
  return Buffer.concat([
    ...tensor.dims.map((d) => varintField(TENSOR.DIMS, d)),
    varintField(TENSOR.DATA_TYPE, tensor.dataType),
    lengthField(TENSOR.NAME, tensor.name),
    lengthField(TENSOR.RAW_DATA, tensor.data),
  ]);
}

/** A tensor's values as numbers (float32, int32, int64, int8, uint8). */
export function tensorValues(tensor: Tensor): Float32Array | Int32Array | Int8Array | Uint8Array | number[] {
  // A copy with a buffer of its own (a Buffer's slice would share the whole file's memory).
  const copy = new Uint8Array(tensor.data);
  switch (tensor.dataType) {
    case DATA_TYPE.float32: return new Float32Array(copy.buffer);
    case DATA_TYPE.int32: return new Int32Array(copy.buffer);
    case DATA_TYPE.int64: return Array.from(new BigInt64Array(copy.buffer), Number);
    case DATA_TYPE.int8: return new Int8Array(copy.buffer);
    case DATA_TYPE.uint8: return copy;
    default: throw new Error(`tensor ${tensor.name} has data type ${tensor.dataType}, which is not read here`);
  }
}

export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): Tensor {
  return { name, dataType: DATA_TYPE.float32, dims, data: new Uint8Array(Float32Array.from(values).buffer) };
}

export function int64Tensor(name: string, dims: number[], values: number[]): Tensor {
  return { name, dataType: DATA_TYPE.int64, dims, data: new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer) };
}

// ---- attributes ----

const attributeHeader = (name: string, type: number): Buffer[] => [lengthField(ATTRIBUTE.NAME, name), varintField(ATTRIBUTE.TYPE, type)];

/** An int attribute (a negative value is a 10-byte varint). */
export function intAttribute(name: string, value: number): Uint8Array {
  return Buffer.concat([...attributeHeader(name, ATTRIBUTE_TYPE.INT), varintField(ATTRIBUTE.INT, value)]);
}

export function intsAttribute(name: string, values: number[]): Uint8Array {
  return Buffer.concat([...attributeHeader(name, ATTRIBUTE_TYPE.INTS), ...values.map((v) => varintField(ATTRIBUTE.INTS, v))]);
}

export function floatAttribute(name: string, value: number): Uint8Array {
  const payload = Buffer.alloc(4);
  payload.writeFloatLE(value);
  return Buffer.concat([...attributeHeader(name, ATTRIBUTE_TYPE.FLOAT), Buffer.from([(ATTRIBUTE.FLOAT << 3) | WIRE_FIXED32]), payload]);
}

export function stringAttribute(name: string, value: string): Uint8Array {
  return Buffer.concat([...attributeHeader(name, ATTRIBUTE_TYPE.STRING), lengthField(ATTRIBUTE.STRING, value)]);
}

export function tensorAttribute(name: string, tensor: Tensor): Uint8Array {
  return Buffer.concat([...attributeHeader(name, ATTRIBUTE_TYPE.TENSOR), lengthField(ATTRIBUTE.TENSOR, encodeTensor(tensor))]);
}

/** The int (or ints) of a node's attribute, or undefined when it has none of that name. */
export function attributeInts(node: GraphNode, name: string): number[] | undefined {
  const encoded = node.attributes.get(name);
  if (!encoded) return undefined;
  const values: number[] = [];
  for (const f of fields(encoded)) if (f.number === ATTRIBUTE.INT || f.number === ATTRIBUTE.INTS) values.push(...integers(encoded, f));
  return values;
}

export function attributeFloat(node: GraphNode, name: string): number | undefined {
  const encoded = node.attributes.get(name);
  if (!encoded) return undefined;
  for (const f of fields(encoded)) if (f.number === ATTRIBUTE.FLOAT && f.wire === WIRE_FIXED32) return Buffer.from(encoded.buffer, encoded.byteOffset + f.start, 4).readFloatLE(0);
  return undefined;
}

export function attributeTensor(node: GraphNode, name: string): Tensor | undefined {
  const encoded = node.attributes.get(name);
  if (!encoded) return undefined;
  for (const f of fields(encoded)) if (f.number === ATTRIBUTE.TENSOR && f.wire === WIRE_LENGTH) return readTensor(encoded, f.start, f.end);
  return undefined;
}

// ---- nodes and value infos ----

function readNode(bytes: Uint8Array, f: Field): GraphNode {
  const node: GraphNode = { op: '', domain: '', name: '', inputs: [], outputs: [], attributes: new Map() };
  for (const n of fields(bytes, f.start, f.end)) {
    if (n.wire !== WIRE_LENGTH) continue;
    if (n.number === NODE.INPUT) node.inputs.push(text(bytes, n));
    else if (n.number === NODE.OUTPUT) node.outputs.push(text(bytes, n));
    else if (n.number === NODE.NAME) node.name = text(bytes, n);
    else if (n.number === NODE.OP_TYPE) node.op = text(bytes, n);
    else if (n.number === NODE.DOMAIN) node.domain = text(bytes, n) === 'ai.onnx' ? '' : text(bytes, n);
    else if (n.number === NODE.ATTRIBUTE) {
      const name = [...fields(bytes, n.start, n.end)].find((a) => a.number === ATTRIBUTE.NAME && a.wire === WIRE_LENGTH);
      node.attributes.set(name ? text(bytes, name) : '', bytes.slice(n.start, n.end));
    }
  }
  return node;
}

function encodeNode(node: GraphNode): Buffer {
  return Buffer.concat([
    ...node.inputs.map((i) => lengthField(NODE.INPUT, i)),
    ...node.outputs.map((o) => lengthField(NODE.OUTPUT, o)),
    ...(node.name ? [lengthField(NODE.NAME, node.name)] : []),
    lengthField(NODE.OP_TYPE, node.op),
    ...[...node.attributes.values()].map((a) => lengthField(NODE.ATTRIBUTE, a)),
    ...(node.domain ? [lengthField(NODE.DOMAIN, node.domain)] : []),
  ]);
}

export function makeNode(op: string, inputs: string[], outputs: string[], attributes: Uint8Array[] = [], domain = ''): GraphNode {
  const named = new Map<string, Uint8Array>();
  for (const a of attributes) {
    const name = [...fields(a)].find((f) => f.number === ATTRIBUTE.NAME && f.wire === WIRE_LENGTH);
    named.set(name ? text(a, name) : '', a);
  }
  return { op, domain, name: outputs[0] ?? op, inputs, outputs, attributes: named };
}

/** An initializer: read only when asked for, written back from its original bytes unless replaced. */
interface StoredInitializer {
  encoded?: Uint8Array;
  tensor?: Tensor;
}

export class OnnxGraph {
  nodes: GraphNode[] = [];
  inputs: ValueInfo[] = [];
  outputs: ValueInfo[] = [];
  /** ai.onnx opset version (the default domain); raising it also raises the IR version it needs. */
  opset = 0;
  #readOpset = 0;
  readonly #bytes: Uint8Array;
  readonly #initializers = new Map<string, StoredInitializer>();
  /** The graph's other fields (name, value_info, doc string, ...), as they were. */
  readonly #otherGraphFields: Uint8Array[] = [];
  readonly #metadata = new Map<string, string>();
  /** The next suffix freshName tries for each base name. */
  readonly #nextSuffix = new Map<string, number>();

  private constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** An empty model to build a graph in: default-domain opset `opset`, the IR version it needs. */
  static create(opset: number, producer: string, graphName: string): OnnxGraph {
    const opsetImport = Buffer.concat([lengthField(1, ''), varintField(2, opset)]);
    return OnnxGraph.read(Buffer.concat([
      varintField(MODEL.IR_VERSION, irVersionFor(opset)), lengthField(MODEL.PRODUCER_NAME, producer),
      lengthField(MODEL.GRAPH, lengthField(GRAPH.NAME, graphName)), lengthField(MODEL.OPSET_IMPORT, opsetImport),
    ]));
  }

  /** Parse a model; throws with the reason when it is not an ONNX model this can edit. */
  static read(bytes: Uint8Array): OnnxGraph {
    const graph = new OnnxGraph(bytes);
    const graphField = [...fields(bytes)].find((f) => f.number === MODEL.GRAPH && f.wire === WIRE_LENGTH);
    if (!graphField) throw new Error('no graph in the model');
    for (const f of fields(bytes)) {
      if (f.number !== MODEL.OPSET_IMPORT || f.wire !== WIRE_LENGTH) continue;
      let version = 0;
      for (const o of fields(bytes, f.start, f.end)) if (o.number === 2 && o.wire === WIRE_VARINT) version = o.value;
      if (isDefaultDomain(bytes, f)) graph.opset = version;
    }
    graph.#readOpset = graph.opset;
    for (const f of fields(bytes, graphField.start, graphField.end)) {
      if (f.number === GRAPH.NODE && f.wire === WIRE_LENGTH) {
        const node = readNode(bytes, f);
        for (const a of node.attributes.values()) {
          for (const field of fields(a)) {
            if (field.number === ATTRIBUTE.GRAPH || field.number === ATTRIBUTE.GRAPHS) throw new Error(`node ${node.name || node.op} has a subgraph, which is not edited here`);
          }
        }
        graph.nodes.push(node);
      } else if (f.number === GRAPH.INITIALIZER && f.wire === WIRE_LENGTH) {
        const name = [...fields(bytes, f.start, f.end)].find((t) => t.number === TENSOR.NAME && t.wire === WIRE_LENGTH);
        graph.#initializers.set(name ? text(bytes, name) : '', { encoded: bytes.subarray(f.start, f.end) });
      } else if (f.number === GRAPH.INPUT && f.wire === WIRE_LENGTH) graph.inputs.push(readValueInfo(bytes, f));
      else if (f.number === GRAPH.OUTPUT && f.wire === WIRE_LENGTH) graph.outputs.push(readValueInfo(bytes, f));
      else graph.#otherGraphFields.push(rawField(bytes, f));
    }
    // Some exporters list weights among the inputs too; they are not fed.
    graph.inputs = graph.inputs.filter((input) => !graph.#initializers.has(input.name));
    return graph;
  }

  hasInitializer(name: string): boolean {
    return this.#initializers.has(name);
  }

  initializer(name: string): Tensor | undefined {
    const stored = this.#initializers.get(name);
    if (!stored) return undefined;
    stored.tensor ??= readTensor(stored.encoded!, 0, stored.encoded!.length);
    return stored.tensor;
  }

  setInitializer(tensor: Tensor): void {
    this.#initializers.set(tensor.name, { tensor });
  }

  deleteInitializer(name: string): void {
    this.#initializers.delete(name);
  }

  initializerNames(): string[] {
    return [...this.#initializers.keys()];
  }

  /** A tensor stored in the model: an initializer or a Constant node's value. */
  constant(name: string): Tensor | undefined {
    const init = this.initializer(name);
    if (init) return init;
    const node = this.nodes.find((n) => n.op === 'Constant' && n.outputs[0] === name);
    return node && attributeTensor(node, 'value');
  }

  isConstant(name: string): boolean {
    return this.#initializers.has(name) || this.nodes.some((n) => n.op === 'Constant' && n.outputs[0] === name);
  }

  setMetadata(key: string, value: string): void {
    this.#metadata.set(key, value);
  }

  /** A metadata_props value, as set here or as read. */
  metadata(key: string): string | undefined {
    if (this.#metadata.has(key)) return this.#metadata.get(key);
    for (const f of fields(this.#bytes)) {
      if (f.number !== MODEL.METADATA_PROPS || f.wire !== WIRE_LENGTH || metadataKey(this.#bytes, f) !== key) continue;
      const value = [...fields(this.#bytes, f.start, f.end)].find((v) => v.number === 2 && v.wire === WIRE_LENGTH);
      return value ? text(this.#bytes, value) : '';
    }
    return undefined;
  }

  /** Forget the shapes recorded for inner tensors (value_info), all or those named, after a change that makes them wrong. */
  dropValueInfo(names?: Set<string>): void {
    const kept = this.#otherGraphFields.filter((encoded) => {
      const [f] = fields(encoded);
      return f.number !== GRAPH.VALUE_INFO || (names !== undefined && !names.has(readValueInfo(encoded, f).name));
    });
    this.#otherGraphFields.splice(0, this.#otherGraphFields.length, ...kept);
  }

  /**
   * A name not yet used by any tensor or node output, built from `base`. The suffix counts on
   * from the last one given for that base: counting from 1 on every call made an import of N
   * operators of one kind take N² steps.
   */
  freshName(base: string, taken: Set<string>): string {
    let name = base;
    let i = this.#nextSuffix.get(base) ?? 1;
    if (taken.has(name) || this.#initializers.has(name)) {
      do name = `${base}_${i++}`; while (taken.has(name) || this.#initializers.has(name));
    }
    this.#nextSuffix.set(base, i);
    taken.add(name);
    return name;
  }

  /** The model with this graph, everything else as it was. */
  encode(): Buffer {
    const graphParts: Uint8Array[] = [
      ...this.nodes.map((n) => lengthField(GRAPH.NODE, encodeNode(n))),
      ...[...this.#initializers.values()].map((s) => lengthField(GRAPH.INITIALIZER, s.tensor && !s.encoded ? encodeTensor(s.tensor) : s.encoded!)),
      ...this.#otherGraphFields,
      ...this.inputs.map((v) => lengthField(GRAPH.INPUT, v.encoded)),
      ...this.outputs.map((v) => lengthField(GRAPH.OUTPUT, v.encoded)),
    ];
    const model: Uint8Array[] = [];
    const opsetChanged = this.opset !== this.#readOpset;
    for (const f of fields(this.#bytes)) {
      if (f.number === MODEL.GRAPH && f.wire === WIRE_LENGTH) model.push(lengthField(MODEL.GRAPH, Buffer.concat(graphParts)));
      else if (opsetChanged && f.number === MODEL.IR_VERSION && f.wire === WIRE_VARINT) model.push(varintField(MODEL.IR_VERSION, Math.max(f.value, irVersionFor(this.opset))));
      else if (opsetChanged && f.number === MODEL.OPSET_IMPORT && f.wire === WIRE_LENGTH && isDefaultDomain(this.#bytes, f)) {
        model.push(lengthField(MODEL.OPSET_IMPORT, Buffer.concat([lengthField(1, ''), varintField(2, this.opset)])));
      }
      else if (f.number === MODEL.METADATA_PROPS && f.wire === WIRE_LENGTH && this.#metadata.has(metadataKey(this.#bytes, f))) continue;
      else model.push(rawField(this.#bytes, f));
    }
    for (const [key, value] of this.#metadata) model.push(lengthField(MODEL.METADATA_PROPS, Buffer.concat([lengthField(1, key), lengthField(2, value)])));
    return Buffer.concat(model);
  }
}

/** The IR version an opset needs (onnx/helper.py's table, from opset 10 on). */
const irVersionFor = (opset: number): number => (opset >= 19 ? 9 : opset >= 15 ? 8 : opset >= 12 ? 7 : opset >= 11 ? 6 : 5);

function isDefaultDomain(bytes: Uint8Array, f: Field): boolean {
  const domain = [...fields(bytes, f.start, f.end)].find((d) => d.number === 1 && d.wire === WIRE_LENGTH);
  return !domain || text(bytes, domain) === '' || text(bytes, domain) === 'ai.onnx';
}

function metadataKey(bytes: Uint8Array, f: Field): string {
  const key = [...fields(bytes, f.start, f.end)].find((k) => k.number === 1 && k.wire === WIRE_LENGTH);
  return key ? text(bytes, key) : '';
}
