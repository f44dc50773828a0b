/**
 * The compiled engine behind the same run() as an onnxruntime session, so that scoring does not know which
 * engine a model got.
 */

import type * as ort from 'onnxruntime-node';
import type { CompiledGraph } from './compile-graph.js';
import type { Env } from './graph-ops.js';
import { int64From } from '../tensor-arrays.js';
import type { ElementType, Value } from './values.js';

type TensorLike = { type: string; dims: readonly number[]; data: unknown };

/** An input tensor as the engine's Value (int64 as float64: see values.ts). */
export function toValue(tensor: TensorLike): Value {
  const dims = [...tensor.dims];
  if (tensor.data instanceof BigInt64Array || tensor.data instanceof Int32Array) return { type: tensor.type as ElementType, dims, data: Float64Array.from(tensor.data, Number) };
  if (tensor.type === 'bool') return { type: 'bool', dims, data: tensor.data as Uint8Array };
  return { type: tensor.type as ElementType, dims, data: tensor.data as Float32Array | Float64Array };
}

/** An output Value as onnxruntime returns it: int64 as BigInt64Array, bool as Uint8Array. */
export function fromValue(value: Value): { type: string; dims: number[]; data: unknown } {
  if (value.type === 'int64') return { type: 'int64', dims: value.dims, data: int64From(value.data as Float64Array) };
  if (value.type === 'int32') return { type: 'int32', dims: value.dims, data: Int32Array.from(value.data as Float64Array) };
  return { type: value.type, dims: value.dims, data: value.data };
}

export class CompiledRunner {
  constructor(private readonly graph: CompiledGraph) {}

  async run(feeds: Record<string, ort.Tensor>, outputNames: readonly string[]): Promise<Record<string, { data: unknown } | undefined>> {
    return this.runNow(feeds, outputNames);
  }

  runNow(feeds: Record<string, TensorLike>, outputNames: readonly string[]): Record<string, { data: unknown } | undefined> {
    const env: Env = new Map();
    for (const [name, tensor] of Object.entries(feeds)) env.set(name, toValue(tensor));
    const results = this.graph.run(env, outputNames);
    const out: Record<string, { data: unknown } | undefined> = {};
    for (const name of outputNames) {
      const value = results.get(name);
      out[name] = value === undefined ? undefined : fromValue(value);
    }
    return out;
  }

  async release(): Promise<void> {}
}
