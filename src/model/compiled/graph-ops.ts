/**
 * Every ONNX op the compiled engine runs outside the fused tree kernels, as a step over whole tensors. An op
 * not here makes the model run on onnxruntime (UnsupportedModel names it).
 */

import { ARITHMETIC, COMPARISON, UNARY, applyBinary, applyUnary, applyWhere, rounder } from './elementwise.js';
import type { OnnxNode } from './read-onnx.js';
import { makeTreeWalk, scoreTrees } from './score-trees.js';
import { readTreeEnsemble } from './tree-ensemble.js';
import { UnsupportedModel } from './unsupported.js';
import { allocate, numeric, sizeOf, type ElementType, type Value } from './values.js';

export type Env = Map<string, Value>;
export type Step = (env: Env) => void;

const CAST_TYPES: Record<number, ElementType> = { 1: 'float32', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 11: 'float64' };

function input(env: Env, name: string | undefined): Value {
  const value = name === undefined || name === '' ? undefined : env.get(name);
  if (value === undefined) throw new Error(`tensor ${name ?? '(none)'} was not computed`);
  return value;
}

function cast(value: Value, to: ElementType): Value {
  const x = numeric(value);
  const out = allocate(to, x.length) as Float32Array | Float64Array | Uint8Array;
  const isInteger = to === 'int64' || to === 'int32';
  for (let i = 0; i < x.length; i++) out[i] = to === 'bool' ? (x[i] !== 0 ? 1 : 0) : isInteger ? Math.trunc(x[i]!) : x[i]!;
  return { type: to, dims: [...value.dims], data: out };
}

function compileLabelEncoder(node: OnnxNode): Step {
  const attr = (name: string) => node.attributes.get(name);
  if (attr('keys_strings') || attr('values_strings') || attr('keys_tensor') || attr('values_tensor')) throw new UnsupportedModel('LabelEncoder with string or tensor keys');
  const keys = attr('keys_int64s')?.ints ?? attr('keys_floats')?.floats ?? [];
  const isFloatValues = attr('values_floats') !== undefined;
  const values = isFloatValues ? attr('values_floats')!.floats : (attr('values_int64s')?.ints ?? []);
  const fallback = isFloatValues ? (attr('default_float')?.f ?? -0) : (attr('default_int64')?.i ?? -1);
  const table = new Map<number, number>();
  keys.forEach((k, i) => table.set(Math.fround(k), values[i] ?? fallback));
  const type: ElementType = isFloatValues ? 'float32' : 'int64';
  return (env) => {
    const x = numeric(input(env, node.inputs[0]));
    const out = allocate(type, x.length) as Float32Array | Float64Array;
    for (let i = 0; i < x.length; i++) out[i] = table.get(x[i]!) ?? fallback;
    env.set(node.outputs[0]!, { type, dims: [...input(env, node.inputs[0]).dims], data: out });
  };
}

/** Gather on the first or last axis of a 1-D or 2-D tensor. */
function gather(data: Value, indices: Value, axis: number): Value {
  const at = numeric(indices);
  const rank = data.dims.length;
  const a = axis < 0 ? axis + rank : axis;
  if (rank > 2 || indices.dims.length > 1) throw new UnsupportedModel('Gather beyond 2-D data and 1-D indices');
  const rows = rank === 2 ? data.dims[0]! : 1;
  const columns = data.dims[rank - 1]!;
  const fix = (i: number, n: number) => (i < 0 ? i + n : i);
  const x = numeric(data);
  if (a === rank - 1) {
    const out = allocate(data.type, rows * at.length) as Float32Array | Float64Array | Uint8Array;
    for (let r = 0; r < rows; r++) for (let j = 0; j < at.length; j++) out[r * at.length + j] = x[r * columns + fix(at[j]!, columns)]!;
    return { type: data.type, dims: rank === 2 ? [rows, at.length] : [at.length], data: out };
  }
  const out = allocate(data.type, at.length * columns) as Float32Array | Float64Array | Uint8Array;
  for (let j = 0; j < at.length; j++) out.set(x.subarray(fix(at[j]!, rows) * columns, (fix(at[j]!, rows) + 1) * columns), j * columns);
  return { type: data.type, dims: [at.length, columns], data: out };
}

function reshape(value: Value, shape: number[]): Value {
  const size = sizeOf(value.dims);
  const dims = shape.map((d, i) => (d === 0 ? value.dims[i]! : d));
  const known = dims.reduce((p, d) => (d === -1 ? p : p * d), 1);
  return { ...value, dims: dims.map((d) => (d === -1 ? size / known : d)) };
}

function concat(values: Value[], axis: number): Value {
  const first = values[0]!;
  const a = axis < 0 ? axis + first.dims.length : axis;
  const outer = sizeOf(first.dims.slice(0, a));
  const widths = values.map((v) => sizeOf(v.dims.slice(a)));
  const total = widths.reduce((p, w) => p + w, 0);
  const out = allocate(first.type, outer * total) as Float32Array | Float64Array | Uint8Array;
  let offset = 0;
  values.forEach((v, k) => {
    const x = numeric(v);
    const w = widths[k]!;
    for (let o = 0; o < outer; o++) out.set(x.subarray(o * w, (o + 1) * w), o * total + offset);
    offset += w;
  });
  const dims = [...first.dims];
  dims[a] = values.reduce((p, v) => p + v.dims[a]!, 0);
  return { type: first.type, dims, data: out };
}

function constantInts(env: Env, name: string | undefined): number[] {
  return Array.from(numeric(input(env, name)));
}

function axesOf(node: OnnxNode, env: Env): number[] {
  const attribute = node.attributes.get('axes');
  return attribute !== undefined ? attribute.ints : node.inputs[1] ? constantInts(env, node.inputs[1]) : [];
}

function squeeze(value: Value, axes: number[]): Value {
  const rank = value.dims.length;
  const drop = new Set(axes.length > 0 ? axes.map((a) => (a < 0 ? a + rank : a)) : value.dims.flatMap((d, i) => (d === 1 ? [i] : [])));
  return { ...value, dims: value.dims.filter((_, i) => !drop.has(i)) };
}

function unsqueeze(value: Value, axes: number[]): Value {
  const rank = value.dims.length + axes.length;
  const add = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  const dims: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) dims.push(add.has(i) ? 1 : value.dims[k++]!);
  return { ...value, dims };
}

/** A tree-ensemble node's step, and how many of its trees the WebAssembly walk takes (see makeTreeWalk). */
export function compileTrees(node: OnnxNode): { step: Step; walkedTrees: number } {
  const ensemble = readTreeEnsemble(node);
  const walk = makeTreeWalk(ensemble);
  const step: Step = (env) => {
    const x = input(env, node.inputs[0]);
    const data = numeric(x);
    if (data instanceof Uint8Array) throw new Error('tree input must be numeric');
    const rows = x.dims.length === 2 ? x.dims[0]! : 1;
    const { scores, labels } = scoreTrees(ensemble, data, rows, x.dims[x.dims.length - 1]!, walk);
    const scoresName = ensemble.isClassifier ? node.outputs[1] : node.outputs[0];
    if (scoresName) env.set(scoresName, { type: 'float32', dims: [rows, ensemble.width], data: scores });
    if (labels === undefined || !node.outputs[0]) return;
    const names = ensemble.classLabels;
    const isStrings = typeof names[0] === 'string';
    env.set(node.outputs[0], isStrings ? { type: 'string', dims: [rows], data: Array.from(labels, (k) => names[k] as string) } : { type: 'int64', dims: [rows], data: labels });
  };
  return { step, walkedTrees: walk === undefined ? 0 : ensemble.roots.length };
}

/** A variadic elementwise op (Sum, Max, Min, Mean) folded over its inputs. */
function compileVariadic(node: OnnxNode): Step {
  const op = ARITHMETIC[node.opType]!;
  return (env) => {
    const values = node.inputs.map((name) => input(env, name));
    const round = rounder(values[0]!.type);
    let result = values[0]!;
    for (const value of values.slice(1)) result = applyBinary(result, value, op, result.type, round);
    if (node.opType === 'Mean') result = applyUnary(result, (a) => a / values.length, round);
    env.set(node.outputs[0]!, result);
  };
}

/** The step computing `node`; throws UnsupportedModel for an op or attribute the engine does not run. */
export function compileNode(node: OnnxNode): Step {
  const op = node.opType;
  const out = node.outputs[0]!;
  const attr = (name: string) => node.attributes.get(name);
  if (node.domain === 'ai.onnx.ml' && (op === 'TreeEnsembleRegressor' || op === 'TreeEnsembleClassifier')) return compileTrees(node).step;
  if (node.domain === 'ai.onnx.ml' && op === 'LabelEncoder') return compileLabelEncoder(node);
  if (node.domain !== '' && node.domain !== 'ai.onnx') throw new UnsupportedModel(`${node.domain}.${op}`);
  if (op in UNARY) return (env) => env.set(out, applyUnary(input(env, node.inputs[0]), UNARY[op]!, rounder(input(env, node.inputs[0]).type)));
  if (op in ARITHMETIC && node.inputs.length !== 2) return compileVariadic(node);
  if (op in ARITHMETIC) {
    return (env) => {
      const a = input(env, node.inputs[0]);
      env.set(out, applyBinary(a, input(env, node.inputs[1]), ARITHMETIC[op]!, a.type, rounder(a.type, op)));
    };
  }
  if (op in COMPARISON) return (env) => env.set(out, applyBinary(input(env, node.inputs[0]), input(env, node.inputs[1]), COMPARISON[op]!, 'bool', rounder('bool')));
  switch (op) {
    case 'Cast': {
      const to = CAST_TYPES[attr('to')?.i ?? 0];
      if (to === undefined || to === 'string') throw new UnsupportedModel(`Cast to type ${attr('to')?.i ?? '?'}`);
      return (env) => env.set(out, cast(input(env, node.inputs[0]), to));
    }
    case 'Where':
      return (env) => env.set(out, applyWhere(input(env, node.inputs[0]), input(env, node.inputs[1]), input(env, node.inputs[2])));
    case 'Gather':
      return (env) => env.set(out, gather(input(env, node.inputs[0]), input(env, node.inputs[1]), attr('axis')?.i ?? 0));
    case 'Reshape':
      return (env) => env.set(out, reshape(input(env, node.inputs[0]), constantInts(env, node.inputs[1])));
    case 'Flatten':
      return (env) => {
        const x = input(env, node.inputs[0]);
        const axis = attr('axis')?.i ?? 1;
        env.set(out, { ...x, dims: [sizeOf(x.dims.slice(0, axis)), sizeOf(x.dims.slice(axis))] });
      };
    case 'Squeeze':
      return (env) => env.set(out, squeeze(input(env, node.inputs[0]), axesOf(node, env)));
    case 'Unsqueeze':
      return (env) => env.set(out, unsqueeze(input(env, node.inputs[0]), axesOf(node, env)));
    case 'Concat':
      return (env) => env.set(out, concat(node.inputs.map((name) => input(env, name)), attr('axis')?.i ?? 0));
    case 'Shape':
      return (env) => env.set(out, { type: 'int64', dims: [input(env, node.inputs[0]).dims.length], data: Float64Array.from(input(env, node.inputs[0]).dims) });
    default:
      throw new UnsupportedModel(op);
  }
}
