// A minimal reader for the few top-level fields of an ONNX ModelProto that onnxruntime-node
// does not expose (custom metadata such as Ultralytics' `names`). It walks the protobuf
// wire format and skips everything else, including the graph, without copying it.

export interface OnnxModelInfo {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  opsets: Record<string, number>;
  metadata: Record<string, string>;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

/** ModelProto field numbers (onnx.proto3). */
const FIELD_IR_VERSION = 1;
const FIELD_PRODUCER_NAME = 2;
const FIELD_PRODUCER_VERSION = 3;
const FIELD_OPSET_IMPORT = 8;
const FIELD_METADATA_PROPS = 14;

interface Field {
  number: number;
  wire: number;
  value: number;
  start: number;
  end: number;
}

function* fields(bytes: Uint8Array, start = 0, end = bytes.length): Generator<Field> {
  let at = start;
  const varint = (): number => {
    let result = 0;
    let factor = 1;
    for (;;) {
      if (at >= end) throw new Error('truncated varint');
      const byte = bytes[at++];
      result += (byte & 0x7f) * factor;
      if (byte < 0x80) return result;
      factor *= 128;
      if (factor > 2 ** 63) throw new Error('varint too long');
    }
  };
  while (at < end) {
    const tag = varint();
    const wire = tag % 8;
    const number = Math.floor(tag / 8);
    if (wire === WIRE_VARINT) {
      yield { number, wire, value: varint(), start: at, end: at };
    } else if (wire === WIRE_LENGTH) {
      const length = varint();
      if (at + length > end) throw new Error(`field ${number} runs past the end`);
      yield { number, wire, value: length, start: at, end: at + length };
      at += length;
    } else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
      at += wire === WIRE_FIXED64 ? 8 : 4;
      if (at > end) throw new Error('truncated fixed field');
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
}

const text = (bytes: Uint8Array, f: Field): string => Buffer.from(bytes.buffer, bytes.byteOffset + f.start, f.end - f.start).toString('utf8');

function readPair(bytes: Uint8Array, outer: Field, keyField: number, valueField: number): [string, Field | undefined] {
  let key = '';
  let value: Field | undefined;
  for (const f of fields(bytes, outer.start, outer.end)) {
    if (f.number === keyField && f.wire === WIRE_LENGTH) key = text(bytes, f);
    else if (f.number === valueField) value = f;
  }
  return [key, value];
}

/** Read ir_version, producer, opset imports and metadata_props; throws on a malformed file. */
export function readOnnxModelInfo(bytes: Uint8Array): OnnxModelInfo {
  const info: OnnxModelInfo = { opsets: {}, metadata: {} };
  for (const f of fields(bytes)) {
    if (f.number === FIELD_IR_VERSION && f.wire === WIRE_VARINT) info.irVersion = f.value;
    else if (f.number === FIELD_PRODUCER_NAME && f.wire === WIRE_LENGTH) info.producerName = text(bytes, f);
    else if (f.number === FIELD_PRODUCER_VERSION && f.wire === WIRE_LENGTH) info.producerVersion = text(bytes, f);
    else if (f.number === FIELD_OPSET_IMPORT && f.wire === WIRE_LENGTH) {
      const [domain, version] = readPair(bytes, f, 1, 2);
      info.opsets[domain || 'ai.onnx'] = version?.value ?? 0;
    } else if (f.number === FIELD_METADATA_PROPS && f.wire === WIRE_LENGTH) {
      const [key, value] = readPair(bytes, f, 1, 2);
      info.metadata[key] = value ? text(bytes, value) : '';
    }
  }
  return info;
}
