/**
 * The tensors the compiled engine computes with. Integers (int32, int64) are held as float64: every value a
 * tree model's graph produces (class labels, leaf ids, shapes) is far inside 2^53.
 */

export type ElementType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool' | 'string';

export interface Value {
  type: ElementType;
  dims: number[];
  data: Float32Array | Float64Array | Uint8Array | string[];
}

export function sizeOf(dims: readonly number[]): number {
  let size = 1;
  for (const d of dims) size *= d;
  return size;
}

/** A new, zeroed array for `size` elements of `type`. */
export function allocate(type: ElementType, size: number): Value['data'] {
  if (type === 'float32') return new Float32Array(size);
  if (type === 'bool') return new Uint8Array(size);
  if (type === 'string') return new Array<string>(size).fill('');
  return new Float64Array(size);
}

export function numeric(value: Value): Float32Array | Float64Array | Uint8Array {
  if (Array.isArray(value.data)) throw new Error(`expected a numeric tensor, got strings`);
  return value.data;
}
