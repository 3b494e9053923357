// A minimal reader for the parts of an ONNX ModelProto that onnxruntime-node does not expose
// (custom metadata such as Ultralytics' `names`) or that are wanted without loading the model
// (the graph's inputs and outputs, for the model doctor). It walks the protobuf wire format
// and skips everything else, weights included, without copying it.
import { WIRE_LENGTH, WIRE_VARINT, fields, text, type Field } from './protobuf';
import { ATTRIBUTE, FUNCTION, GRAPH, MODEL, NODE, SPARSE_TENSOR, TENSOR } from './fields';
import { readValueInfo } from './value-info';
import type { TensorInfo } from '../types';

export interface OnnxModelInfo {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  opsets: Record<string, number>;
  metadata: Record<string, string>;
  /** Graph inputs that are not weights (some exporters list initializers as inputs too). */
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

function readPair(bytes: Uint8Array, outer: Field, keyField: number, valueField: number): [string, Field | undefined] {
  let key = '';
  let value: Field | undefined;
  for (const f of fields(bytes, outer.start, outer.end)) {
    if (f.number === keyField && f.wire === WIRE_LENGTH) key = text(bytes, f);
    else if (f.number === valueField) value = f;
  }
  return [key, value];
}

/** A graph input's or output's name, type and dims (not its bytes: this info crosses to workers). */
function readTensorInfo(bytes: Uint8Array, valueInfo: Field): TensorInfo {
  const { name, type, dims } = readValueInfo(bytes, valueInfo);
  return { name, type, dims };
}

function readGraph(bytes: Uint8Array, graph: Field, info: OnnxModelInfo): void {
  const weights = new Set<string>();
  const inputs: TensorInfo[] = [];
  for (const f of fields(bytes, graph.start, graph.end)) {
    if (f.wire !== WIRE_LENGTH) continue;
    if (f.number === GRAPH.INPUT) inputs.push(readTensorInfo(bytes, f));
    else if (f.number === GRAPH.OUTPUT) info.outputs.push(readTensorInfo(bytes, f));
    else if (f.number === GRAPH.INITIALIZER) {
      for (const t of fields(bytes, f.start, f.end)) if (t.number === TENSOR.NAME && t.wire === WIRE_LENGTH) weights.add(text(bytes, t));
    }
  }
  info.inputs = inputs.filter((input) => !weights.has(input.name));
}

/** Read the header fields, metadata_props and graph inputs/outputs; throws on a malformed file. */
export function readOnnxModelInfo(bytes: Uint8Array): OnnxModelInfo {
  const info: OnnxModelInfo = { opsets: {}, metadata: {}, inputs: [], outputs: [] };
  let graph: Field | undefined;
  for (const f of fields(bytes)) {
    if (f.number === MODEL.IR_VERSION && f.wire === WIRE_VARINT) info.irVersion = f.value;
    else if (f.number === MODEL.PRODUCER_NAME && f.wire === WIRE_LENGTH) info.producerName = text(bytes, f);
    else if (f.number === MODEL.PRODUCER_VERSION && f.wire === WIRE_LENGTH) info.producerVersion = text(bytes, f);
    else if (f.number === MODEL.GRAPH && f.wire === WIRE_LENGTH) graph = f;
    else if (f.number === MODEL.OPSET_IMPORT && f.wire === WIRE_LENGTH) {
      const [domain, version] = readPair(bytes, f, 1, 2);
      info.opsets[domain || 'ai.onnx'] = version?.value ?? 0;
    } else if (f.number === MODEL.METADATA_PROPS && f.wire === WIRE_LENGTH) {
      const [key, value] = readPair(bytes, f, 1, 2);
      info.metadata[key] = value ? text(bytes, value) : '';
    }
  }
  if (!graph) throw new Error('no graph in the model');
  readGraph(bytes, graph, info);
  return info;
}

/**
 * Where the model's tensors keep their data when it is in files beside the model (TensorProto
 * data_location EXTERNAL, external_data "location"). Every tensor onnxruntime could read is
 * looked at: initializers and sparse initializers of every graph field (protobuf merges
 * repeated ones), tensors in node attributes (Constant), the graphs inside attributes (If,
 * Loop, Scan bodies) and the nodes of model functions.
 */
export function externalDataLocations(bytes: Uint8Array): string[] {
  const locations: string[] = [];
  const nested = (within: { start: number; end: number }, ...numbers: number[]): Field[] =>
    [...fields(bytes, within.start, within.end)].filter((f) => numbers.includes(f.number) && f.wire === WIRE_LENGTH);
  const tensor = (t: Field): void => {
    let external = false;
    let location: string | undefined;
    for (const f of fields(bytes, t.start, t.end)) {
      if (f.number === TENSOR.DATA_LOCATION && f.wire === WIRE_VARINT) external = f.value === 1;
      if (f.number === TENSOR.EXTERNAL_DATA && f.wire === WIRE_LENGTH) {
        const [key, value] = readPair(bytes, f, 1, 2);
        if (key === 'location' && value) location = text(bytes, value);
      }
    }
    if (external) locations.push(location ?? '');
  };
  const sparse = (s: Field): void => nested(s, SPARSE_TENSOR.VALUES, SPARSE_TENSOR.INDICES).forEach(tensor);
  const node = (n: Field): void => {
    for (const a of nested(n, NODE.ATTRIBUTE)) {
      nested(a, ATTRIBUTE.TENSOR, ATTRIBUTE.TENSORS).forEach(tensor);
      nested(a, ATTRIBUTE.SPARSE_TENSOR, ATTRIBUTE.SPARSE_TENSORS).forEach(sparse);
      nested(a, ATTRIBUTE.GRAPH, ATTRIBUTE.GRAPHS).forEach(graph);
    }
  };
  const graph = (g: Field): void => {
    nested(g, GRAPH.INITIALIZER).forEach(tensor);
    nested(g, GRAPH.SPARSE_INITIALIZER).forEach(sparse);
    nested(g, GRAPH.NODE).forEach(node);
  };
  const model = { start: 0, end: bytes.length };
  nested(model, MODEL.GRAPH).forEach(graph);
  for (const f of nested(model, MODEL.FUNCTIONS)) nested(f, FUNCTION.NODE).forEach(node);
  return locations;
}