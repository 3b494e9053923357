// ValueInfoProto: a graph input's or output's name, element type and shape, read in place and
// written for the tools that change a model's inputs and outputs.
import { WIRE_LENGTH, WIRE_VARINT, fields, lengthField, text, varintField, type Field } from './protobuf';
import { DIM, SHAPE, TENSOR_TYPE, TYPE, VALUE, elementTypeName } from './fields';

export interface ValueInfo {
  name: string;
  /** Element type number (DATA_TYPE), 0 when not a tensor or not given. */
  dataType: number;
  /** The element type's name ("float32"), "non-tensor", or "unknown" when not given. */
  type: string;
  /** Numbers for fixed axes, names for symbolic ones, -1 for unknown. */
  dims: Array<number | string>;
  /** The encoded ValueInfoProto, as it stands in the file. */
  encoded: Uint8Array;
}

export function readValueInfo(bytes: Uint8Array, valueInfo: Field): ValueInfo {
  const info: ValueInfo = { name: '', dataType: 0, type: 'unknown', dims: [], encoded: bytes.subarray(valueInfo.start, valueInfo.end) };
  for (const f of fields(bytes, valueInfo.start, valueInfo.end)) {
    if (f.number === VALUE.NAME && f.wire === WIRE_LENGTH) info.name = text(bytes, f);
    if (f.number !== VALUE.TYPE || f.wire !== WIRE_LENGTH) continue;
    for (const typeField of fields(bytes, f.start, f.end)) {
      if (typeField.number !== TYPE.TENSOR || typeField.wire !== WIRE_LENGTH) {
        info.type = 'non-tensor';
        continue;
      }
      for (const t of fields(bytes, typeField.start, typeField.end)) {
        if (t.number === TENSOR_TYPE.ELEM && t.wire === WIRE_VARINT) {
          info.dataType = t.value;
          info.type = elementTypeName(t.value);
        }
        if (t.number !== TENSOR_TYPE.SHAPE || t.wire !== WIRE_LENGTH) continue;
        for (const dim of fields(bytes, t.start, t.end)) {
          if (dim.number !== SHAPE.DIM || dim.wire !== WIRE_LENGTH) continue;
          let value: number | string = -1;
          for (const d of fields(bytes, dim.start, dim.end)) {
            if (d.number === DIM.VALUE && d.wire === WIRE_VARINT) value = d.value;
            else if (d.number === DIM.PARAM && d.wire === WIRE_LENGTH) value = text(bytes, d);
          }
          info.dims.push(value);
        }
      }
    }
  }
  return info;
}

/** A ValueInfoProto for a tensor: fixed axes as numbers, symbolic ones by name, -1 unknown; dims undefined for an unknown shape. */
export function tensorValueInfo(name: string, dataType: number, dims?: ReadonlyArray<number | string>): ValueInfo {
  const dimension = (d: number | string): Buffer =>
    (typeof d === 'string' ? lengthField(DIM.PARAM, d) : d >= 0 ? varintField(DIM.VALUE, d) : Buffer.alloc(0));
  const shape = dims ? [lengthField(TENSOR_TYPE.SHAPE, Buffer.concat(dims.map((d) => lengthField(SHAPE.DIM, dimension(d)))))] : [];
  const tensorType = Buffer.concat([varintField(TENSOR_TYPE.ELEM, dataType), ...shape]);
  const encoded = Buffer.concat([lengthField(VALUE.NAME, name), lengthField(VALUE.TYPE, lengthField(TYPE.TENSOR, tensorType))]);
  return { name, dataType, type: elementTypeName(dataType), dims: [...(dims ?? [])], encoded };
}
