// The protobuf wire format, just enough to read an ONNX file in place and to write changed
// messages back: fields are located, not decoded, so weights are never copied to be skipped.

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH = 2;
export const WIRE_FIXED32 = 5;

export interface Field {
  number: number;
  wire: number;
  /** The varint's value, or the payload's length for length-delimited fields. */
  value: number;
  /** Where the field's tag starts (for copying the field unchanged). */
  tagStart: number;
  /** The payload: a length-delimited field's bytes, a varint's or a fixed field's encoding. */
  start: number;
  end: number;
}

export function* fields(bytes: Uint8Array, start = 0, end = bytes.length): Generator<Field> {
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
    const tagStart = at;
    const tag = varint();
    const wire = tag % 8;
    const number = Math.floor(tag / 8);
    if (wire === WIRE_VARINT) {
      const start = at;
      const value = varint();
      yield { number, wire, value, tagStart, start, end: at };
    } else if (wire === WIRE_LENGTH) {
      const length = varint();
      if (at + length > end) throw new Error(`field ${number} runs past the end`);
      yield { number, wire, value: length, tagStart, start: at, end: at + length };
      at += length;
    } else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
      const start = at;
      at += wire === WIRE_FIXED64 ? 8 : 4;
      if (at > end) throw new Error('truncated fixed field');
      yield { number, wire, value: 0, tagStart, start, end: at };
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
}

export const text = (bytes: Uint8Array, f: Field): string => Buffer.from(bytes.buffer, bytes.byteOffset + f.start, f.end - f.start).toString('utf8');

/** The field's whole encoding, tag included, as it stands in `bytes`. */
export const rawField = (bytes: Uint8Array, f: Field): Uint8Array => bytes.subarray(f.tagStart, f.end);

/** The values of an int32 or int64 field (negative ones are 10-byte varints), packed or one by one. */
export function signedIntegers(bytes: Uint8Array, f: Field, bits: 32 | 64): number[] {
  const values: number[] = [];
  let at = f.start;
  while (at < f.end) {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const byte = bytes[at++];
      value |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (byte < 0x80) break;
    }
    values.push(Number(BigInt.asIntN(bits, value)));
  }
  return values;
}

/** A varint; a negative integer is written as its 64-bit two's complement (10 bytes), as int32 and int64 fields want it. */
export function encodeVarint(n: number | bigint): Buffer {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(n));
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

export const varintField = (number: number, value: number | bigint): Buffer => Buffer.concat([encodeVarint(number * 8 + WIRE_VARINT), encodeVarint(value)]);

export function lengthField(number: number, payload: Uint8Array | string): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([encodeVarint(number * 8 + WIRE_LENGTH), encodeVarint(data.length), data]);
}
