/**
 * The Open Inference Protocol's tensor datatypes as batch-infer reads them: which a tensor type is sent as, which
 * answers can be converted to the type the manifest writes, and the conversion itself (an FP64 answer written as
 * float32 is rounded exactly as a float32 model's own output would be).
 */

import type { TensorType } from '../model/signature.js';
import { tensorArrayFromNumbers, type TensorArray } from '../model/tensor-arrays.js';

export const TO_V2: Record<TensorType, string> = { float32: 'FP32', float64: 'FP64', int64: 'INT64', int32: 'INT32' };
export const FROM_V2: Record<string, TensorType> = { FP32: 'float32', FP64: 'float64', INT64: 'int64', INT32: 'int32' };

type NumericArray = ArrayLike<number | bigint>;

/** Little-endian element readers for the binary tensor extension, by datatype. */
const BINARY: Record<string, new (buffer: ArrayBuffer) => NumericArray> = {
  FP32: Float32Array,
  FP64: Float64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
};

/** Whether an answer of `datatype` can be written as numbers (BOOL and BYTES cannot: no row would mean the same). */
export function isNumericDatatype(datatype: string): boolean {
  return datatype in BINARY;
}

/** The natural tensor type of an answer of `datatype`, for an output the manifest gives no type. */
export function naturalType(datatype: string): TensorType | undefined {
  if (datatype in FROM_V2) return FROM_V2[datatype];
  if (datatype.startsWith('UINT64')) return 'int64';
  if (datatype.startsWith('INT') || datatype.startsWith('UINT')) return datatype === 'UINT32' ? 'int64' : 'int32';
  return undefined;
}

/** A numeric answer's values as `type`: from the binary extension's bytes, or from a JSON tensor's data. */
export function decodeTensor(datatype: string, type: TensorType, bytes: Uint8Array | undefined, json: readonly unknown[] | undefined): TensorArray {
  const reader = BINARY[datatype];
  if (reader === undefined) throw new Error(`datatype ${datatype} cannot be written as numbers`);
  const values: NumericArray = bytes === undefined ? (json ?? []).map(Number) : new reader(new Uint8Array(bytes).buffer);
  if (FROM_V2[datatype] === type && ArrayBuffer.isView(values)) return values as TensorArray;
  return tensorArrayFromNumbers(type, Array.from(values, Number));
}
