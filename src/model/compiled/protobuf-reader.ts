/**
 * Reading the protobuf wire format (https://protobuf.dev/programming-guides/encoding/): a cursor over one message's
 * bytes with the reads decode-onnx.ts needs, each giving what protobufjs gives for the same bytes (int64s as
 * numbers, the low 32 bits of an int32, floats and doubles little-endian), and refusing bytes it does not read
 * the same way (see Reader.tag).
 */

export const VARINT = 0;
export const FIXED64 = 1;
export const BYTES = 2;
export const FIXED32 = 5;

/** A message's fields and the wire types each may come in, a bit per wire type (see decode-onnx.ts). */
export type Schema = Readonly<Record<number, number>>;
export const V = 1 << VARINT;
export const D = 1 << FIXED64;
export const L = 1 << BYTES;
export const F = 1 << FIXED32;

/** A cursor over one message's bytes [pos, end) of the model. */
export class Reader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos: number;
  readonly end: number;

  constructor(bytes: Uint8Array, view: DataView, pos: number, end: number) {
    this.bytes = bytes;
    this.view = view;
    this.pos = pos;
    this.end = end;
  }

  #byte(): number {
    if (this.pos >= this.end) throw new RangeError(`index out of range: ${this.pos} + 1 > ${this.end}`);
    return this.bytes[this.pos++]!;
  }

  /** A field's tag, refused when the schema knows the field in other wire types. */
  tag(schema: Schema): number {
    const tag = this.uint32();
    const allowed = schema[tag >>> 3];
    if (allowed !== undefined && (allowed & (1 << (tag & 7))) === 0) throw new RangeError(`field ${tag >>> 3} in wire type ${tag & 7} at offset ${this.pos}`);
    return tag;
  }

  /** An unsigned varint below 2^32 (tags, lengths); larger ones are refused (not in a valid model's framing). */
  uint32(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.#byte();
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        if (value > 0xffffffff) throw new RangeError('varint over 32 bits');
        return value;
      }
    }
    throw new RangeError('varint over 32 bits');
  }

  /** A varint int64 as protobufjs returns it without Long: lo + hi * 2^32, negative in two's complement. */
  int64(): number {
    if (this.pos < this.end && this.bytes[this.pos]! < 0x80) return this.bytes[this.pos++]!;
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      b = this.#byte();
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) return lo >>> 0;
    }
    b = this.#byte();
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      for (let shift = 3; ; shift += 7) {
        if (shift > 31) throw new RangeError('invalid varint encoding');
        b = this.#byte();
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
    }
    return toNumber(lo >>> 0, hi >>> 0);
  }

  /** A varint int32 (protobufjs: the low 32 bits, signed, whatever the varint's length). */
  int32(): number {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const b = this.#byte();
      if (shift < 32) value |= (b & 0x7f) << shift;
      if (b < 0x80) return value | 0;
    }
    throw new RangeError('invalid varint encoding');
  }

  float(): number {
    this.#need(4);
    const value = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return value;
  }

  double(): number {
    this.#need(8);
    const value = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }

  /** A length-delimited field's extent, the cursor moved past it. */
  span(): [number, number] {
    const length = this.uint32();
    this.#need(length);
    const start = this.pos;
    this.pos += length;
    return [start, this.pos];
  }

  sub(): Reader {
    const [start, end] = this.span();
    return new Reader(this.bytes, this.view, start, end);
  }

  /**
   * A string field. Only ASCII: protobufjs decodes other UTF-8 (and invalid bytes) its own way, which TextDecoder
   * does not reproduce, so a model with such a name goes to onnx-proto whole.
   */
  string(): string {
    const [start, end] = this.span();
    let text = '';
    for (let i = start; i < end; i++) {
      const b = this.bytes[i]!;
      if (b >= 0x80) throw new RangeError(`a string that is not ASCII at offset ${i}`);
      text += String.fromCharCode(b);
    }
    return text;
  }

  /** Bytes as protobufjs returns them: a view of the model's buffer. */
  bytesField(): Uint8Array {
    const [start, end] = this.span();
    return this.bytes.subarray(start, end);
  }

  skip(wireType: number): void {
    if (wireType === VARINT) this.int64();
    else if (wireType === FIXED64) this.#skipBytes(8);
    else if (wireType === BYTES) this.span();
    else if (wireType === FIXED32) this.#skipBytes(4);
    else throw new RangeError(`invalid wire type ${wireType} at offset ${this.pos}`);
  }

  #skipBytes(count: number): void {
    this.#need(count);
    this.pos += count;
  }

  #need(count: number): void {
    if (this.pos + count > this.end) throw new RangeError(`index out of range: ${this.pos} + ${count} > ${this.end}`);
  }
}

/** protobufjs's LongBits.toNumber(false). */
function toNumber(lo: number, hi: number): number {
  if (hi >>> 31 === 0) return lo + hi * 4294967296;
  let negLo = (~lo + 1) >>> 0;
  let negHi = ~hi >>> 0;
  if (negLo === 0) negHi = (negHi + 1) >>> 0;
  negLo = negLo >>> 0;
  return -(negLo + negHi * 4294967296);
}

/**
 * A repeated scalar, packed (one length-delimited run) or not (one field per value). Unpacked values usually
 * come in a run of the same one-byte tag (ONNX's schema is proto2 without [packed]: a tree's node arrays are runs
 * of tens of thousands): the run is read in one loop.
 */
export function readRepeated(r: Reader, tag: number, list: number[], one: (r: Reader) => number): void {
  if ((tag & 7) !== BYTES) {
    list.push(one(r));
    if (tag > 0x7f) return;
    const bytes = r.bytes;
    while (r.pos < r.end && bytes[r.pos] === tag) {
      r.pos++;
      list.push(one(r));
    }
    return;
  }
  const [start, end] = r.span();
  const packed = new Reader(r.bytes, r.view, start, end);
  while (packed.pos < end) list.push(one(packed));
}
