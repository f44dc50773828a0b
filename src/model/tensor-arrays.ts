/** The typed array that holds each tensor element type: one mapping for the parser, the V2 client and the rest. */

import type { TensorType } from './signature.js';

export type TensorArray = Float32Array | Float64Array | BigInt64Array | Int32Array;

type TensorArrayConstructor = {
  new (length: number): TensorArray;
  new (buffer: ArrayBuffer): TensorArray;
};

const CONSTRUCTORS: Record<TensorType, TensorArrayConstructor> = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
};

/** An array of `length` elements over the start of `buffer` (which must be big enough), contents as found. */
export function tensorArrayIn(type: TensorType, buffer: ArrayBuffer, length: number): TensorArray {
  const constructor = CONSTRUCTORS[type] as unknown as new (buffer: ArrayBuffer, offset: number, length: number) => TensorArray;
  return new constructor(buffer, 0, length);
}

/** Bytes per element of `type`. */
export function tensorElementBytes(type: TensorType): number {
  return (CONSTRUCTORS[type] as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
}

/** A zero-filled array of `length` elements. */
export function allocateTensorArray(type: TensorType, length: number): TensorArray {
  return new CONSTRUCTORS[type](length);
}

/** The elements held in `bytes` (little-endian, as the binary tensor extension sends them), copied. */
export function tensorArrayFromBytes(type: TensorType, bytes: Uint8Array): TensorArray {
  return new CONSTRUCTORS[type](new Uint8Array(bytes).buffer);
}

/** The elements of a JSON tensor's data. */
export function tensorArrayFromNumbers(type: TensorType, values: readonly number[]): TensorArray {
  const array = allocateTensorArray(type, values.length);
  if (array instanceof BigInt64Array) values.forEach((v, i) => (array[i] = BigInt(v)));
  else array.set(values);
  return array;
}

/** Whether typed arrays store the low 32-bit word of an int64 first (every platform Node ships for but s390x). */
const IS_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * Integers held as float64 (the compiled engine's int64, see compiled/values.ts) as an int64 array, each one that
 * fits in int32 written as its two 32-bit words: BigInt() per value cost about 3 ms per 50k labels here. A value
 * that is not an integer throws as BigInt() does.
 */
export function int64From(values: Float64Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  const words = IS_LITTLE_ENDIAN ? new Int32Array(out.buffer) : undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (words !== undefined && (v | 0) === v) {
      words[2 * i] = v;
      words[2 * i + 1] = v >> 31;
    } else out[i] = BigInt(v);
  }
  return out;
}

/** Int64 values as int32, or undefined when one does not fit; read as 32-bit words, without a BigInt per value. */
export function int32From(values: BigInt64Array): Int32Array | undefined {
  const out = new Int32Array(values.length);
  if (!IS_LITTLE_ENDIAN) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < -2147483648n || v > 2147483647n) return undefined;
      out[i] = Number(v);
    }
    return out;
  }
  const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const low = words[2 * i]!;
    // It fits in int32 when the high word is the low word's sign, extended.
    if (words[2 * i + 1] !== low >> 31) return undefined;
    out[i] = low;
  }
  return out;
}

