// Tables of a FlatBuffer that came from outside, read with the flatbuffers runtime's ByteBuffer
// but every offset checked first. The generated-code pattern trusts the file (a read past the
// end gives 0, a vector length of 2^31 is looped over), which a hostile .tflite must not get.
import { ByteBuffer } from 'flatbuffers';

/** A file that is not a FlatBuffer this can read; the message says where and why. */
export class FlatBufferError extends Error {}

export type Scalar = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float32' | 'bool';

const SIZE: Record<Scalar, number> = { int8: 1, uint8: 1, bool: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, int64: 8 };

/** Vectors longer than this are refused before they are walked (a tensor shape, a list of ops). */
const MAX_VECTOR = 50_000_000;

export class FlatTable {
  readonly #bb: ByteBuffer;
  readonly #pos: number;
  readonly #vtable: number;
  readonly #vtableSize: number;
  readonly #what: string;

  constructor(bb: ByteBuffer, pos: number, what: string) {
    this.#bb = bb;
    this.#what = what;
    within(bb, pos, 4, what);
    this.#pos = pos;
    const vtable = pos - bb.readInt32(pos);
    within(bb, vtable, 4, `${what}'s field table`);
    this.#vtable = vtable;
    this.#vtableSize = bb.readUint16(vtable);
    if (this.#vtableSize < 4 || this.#vtableSize % 2) throw new FlatBufferError(`${what}'s field table has size ${this.#vtableSize}`);
    within(bb, vtable, this.#vtableSize, `${what}'s field table`);
  }

  /** The root table of a buffer, after checking its 4-byte file identifier. */
  static root(bytes: Uint8Array, identifier: string, what: string): FlatTable {
    if (bytes.length < 8) throw new FlatBufferError(`${bytes.length} bytes are too few for a ${what}`);
    const bb = new ByteBuffer(bytes);
    const found = Buffer.from(bytes.buffer, bytes.byteOffset + 4, 4).toString('latin1');
    if (found !== identifier) throw new FlatBufferError(`the file identifier is ${JSON.stringify(found)}, not "${identifier}"`);
    return new FlatTable(bb, bb.readUint32(0), what);
  }

  /** Where field `slot` (its order in the schema, unions taking two) lies, or 0 when absent. */
  #field(slot: number): number {
    const entry = 4 + slot * 2;
    if (entry >= this.#vtableSize) return 0;
    const offset = this.#bb.readUint16(this.#vtable + entry);
    return offset ? this.#pos + offset : 0;
  }

  has(slot: number): boolean {
    return this.#field(slot) !== 0;
  }

  scalar(slot: number, type: Scalar, fallback = 0): number {
    const at = this.#field(slot);
    if (!at) return fallback;
    within(this.#bb, at, SIZE[type], `${this.#what} field ${slot}`);
    return readScalar(this.#bb, at, type);
  }

  /** The position a reference field points to, checked to lie inside the buffer. */
  #target(slot: number): number | undefined {
    const at = this.#field(slot);
    if (!at) return undefined;
    within(this.#bb, at, 4, `${this.#what} field ${slot}`);
    const target = at + this.#bb.readUint32(at);
    within(this.#bb, target, 4, `${this.#what} field ${slot}`);
    return target;
  }

  table(slot: number, what: string): FlatTable | undefined {
    const target = this.#target(slot);
    return target === undefined ? undefined : new FlatTable(this.#bb, target, what);
  }

  /** A vector's element count and where its first element lies. */
  #vector(slot: number, elementSize: number): { start: number; length: number } | undefined {
    const target = this.#target(slot);
    if (target === undefined) return undefined;
    const length = this.#bb.readUint32(target);
    if (length > MAX_VECTOR) throw new FlatBufferError(`${this.#what} field ${slot} claims ${length} elements`);
    within(this.#bb, target + 4, length * elementSize, `${this.#what} field ${slot} (${length} elements)`);
    return { start: target + 4, length };
  }

  tables(slot: number, what: string): FlatTable[] {
    const vector = this.#vector(slot, 4);
    if (!vector) return [];
    const list: FlatTable[] = [];
    for (let i = 0; i < vector.length; i++) {
      const at = vector.start + i * 4;
      list.push(new FlatTable(this.#bb, at + this.#bb.readUint32(at), `${what} ${i}`));
    }
    return list;
  }

  numbers(slot: number, type: Scalar): number[] {
    const vector = this.#vector(slot, SIZE[type]);
    if (!vector) return [];
    const list = new Array<number>(vector.length);
    for (let i = 0; i < vector.length; i++) list[i] = readScalar(this.#bb, vector.start + i * SIZE[type], type);
    return list;
  }

  /** A [ubyte] vector, as a view into the buffer (no copy). */
  bytes(slot: number): Uint8Array | undefined {
    const vector = this.#vector(slot, 1);
    if (!vector) return undefined;
    const bytes = this.#bb.bytes();
    return bytes.subarray(vector.start, vector.start + vector.length);
  }

  string(slot: number): string {
    const bytes = this.bytes(slot);
    return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8') : '';
  }
}

function within(bb: ByteBuffer, at: number, length: number, what: string): void {
  if (!Number.isInteger(at) || at < 0 || at + length > bb.capacity()) {
    throw new FlatBufferError(`${what} points to bytes ${at}..${at + length}, outside the ${bb.capacity()} bytes there are`);
  }
}

function readScalar(bb: ByteBuffer, at: number, type: Scalar): number {
  switch (type) {
    case 'int8': return bb.readInt8(at);
    case 'uint8': return bb.readUint8(at);
    case 'bool': return bb.readUint8(at) ? 1 : 0;
    case 'int16': return bb.readInt16(at);
    case 'uint16': return bb.readUint16(at);
    case 'int32': return bb.readInt32(at);
    case 'uint32': return bb.readUint32(at);
    case 'float32': return bb.readFloat32(at);
    case 'int64': return Number(bb.readInt64(at));
  }
}
