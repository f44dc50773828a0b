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
