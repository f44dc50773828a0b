/**
 * Elementwise ONNX ops over whole tensors with numpy broadcasting, in the element type's own precision:
 * float32 results are rounded to float32 after every operation, as onnxruntime computes them.
 */

import { allocate, numeric, sizeOf, type ElementType, type Value } from './values.js';

const f = Math.fround;
type Binary = (a: number, b: number) => number;
type Unary = (a: number) => number;

export const UNARY: Record<string, Unary> = {
  Neg: (a) => -a,
  Abs: Math.abs,
  Exp: Math.exp,
  Log: Math.log,
  Sqrt: Math.sqrt,
  Reciprocal: (a) => 1 / a,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Sigmoid: (a) => 1 / (1 + Math.exp(-a)),
  Tanh: Math.tanh,
  Relu: (a) => (a > 0 ? a : 0),
  Identity: (a) => a,
  Not: (a) => (a === 0 ? 1 : 0),
  IsNaN: (a) => (a !== a ? 1 : 0),
};

export const ARITHMETIC: Record<string, Binary> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: Math.pow,
  Max: (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b),
  Min: (a, b) => (a !== a || b !== b ? NaN : a < b ? a : b),
  Sum: (a, b) => a + b,
  Mean: (a, b) => a + b,
};

export const COMPARISON: Record<string, Binary> = {
  Equal: (a, b) => (a === b ? 1 : 0),
  Greater: (a, b) => (a > b ? 1 : 0),
  Less: (a, b) => (a < b ? 1 : 0),
  GreaterOrEqual: (a, b) => (a >= b ? 1 : 0),
  LessOrEqual: (a, b) => (a <= b ? 1 : 0),
  And: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  Or: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
  Xor: (a, b) => ((a !== 0) !== (b !== 0) ? 1 : 0),
};

/** No rounding: float64 and integer results other than a division's. */
const UNROUNDED: Unary = (a) => a;

/** Rounds a result to its element type (integer division truncates, as in C++). */
export function rounder(type: ElementType, op?: string): Unary {
  if (type === 'float32') return f;
  if (type === 'int64' || type === 'int32') return op === 'Div' ? Math.trunc : UNROUNDED;
  return UNROUNDED;
}

type Numbers = Float32Array | Float64Array | Uint8Array;
/** One arithmetic op over whole arrays; a step of 0 reads a scalar broadcast to every element. */
type Kernel = (x: Numbers, y: Numbers, out: Numbers, size: number, xStep: number, yStep: number) => void;

/**
 * The common ops as loops of their own. Through ARITHMETIC's functions every element's result crossed a call V8
 * could not inline and was boxed as a heap number: about 120 MB of garbage per million rows of the fixture
 * IsolationForest. Storing into a Float32Array rounds exactly as Math.fround does, so a float32 result needs no
 * call either; a comparison's 0 or 1 is stored as is.
 */
const KERNELS = new Map<Binary, Kernel>([
  [ARITHMETIC.Add!, (x, y, out, size, xs, ys) => { for (let i = 0; i < size; i++) out[i] = x[i * xs]! + y[i * ys]!; }],
  [ARITHMETIC.Sub!, (x, y, out, size, xs, ys) => { for (let i = 0; i < size; i++) out[i] = x[i * xs]! - y[i * ys]!; }],
  [ARITHMETIC.Mul!, (x, y, out, size, xs, ys) => { for (let i = 0; i < size; i++) out[i] = x[i * xs]! * y[i * ys]!; }],
  [ARITHMETIC.Div!, (x, y, out, size, xs, ys) => { for (let i = 0; i < size; i++) out[i] = x[i * xs]! / y[i * ys]!; }],
  [ARITHMETIC.Pow!, (x, y, out, size, xs, ys) => { for (let i = 0; i < size; i++) out[i] = Math.pow(x[i * xs]!, y[i * ys]!); }],
  [COMPARISON.Less!, (x, y, out, size, xs, ys) => { for (let i = 0; i < size; i++) out[i] = x[i * xs]! < y[i * ys]! ? 1 : 0; }],
  [COMPARISON.Greater!, (x, y, out, size, xs, ys) => { for (let i = 0; i < size; i++) out[i] = x[i * xs]! > y[i * ys]! ? 1 : 0; }],
  [COMPARISON.Equal!, (x, y, out, size, xs, ys) => { for (let i = 0; i < size; i++) out[i] = x[i * xs]! === y[i * ys]! ? 1 : 0; }],
]);

/** Negation, the one unary op of the fixture IsolationForest's per-row tail, as a loop of its own. */
const UNARY_KERNELS = new Map<Unary, (x: Numbers, out: Numbers) => void>([[UNARY.Neg!, (x, out) => { for (let i = 0; i < x.length; i++) out[i] = -x[i]!; }]]);

/** Whether storing a result into `out` rounds it as `round` would: then an op's own loop may skip the call. */
function isRoundedByStore(round: Unary, out: Numbers): boolean {
  return round === UNROUNDED || (round === f && out instanceof Float32Array);
}

/** The op's own loop, when storing its result into `out` rounds it as `round` would. */
function kernelFor(op: Binary, round: Unary, out: Numbers): Kernel | undefined {
  return isRoundedByStore(round, out) ? KERNELS.get(op) : undefined;
}

export function broadcastDims(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`cannot broadcast [${a.join(',')}] with [${b.join(',')}]`);
    dims.push(x === 1 ? y : x);
  }
  return dims;
}

/** For each output element, the flat index of the input element broadcast to it. */
function broadcastIndex(from: readonly number[], to: readonly number[]): Int32Array | undefined {
  if (sizeOf(from) === sizeOf(to)) return undefined;
  const size = sizeOf(to);
  const index = new Int32Array(size);
  if (sizeOf(from) === 1) return index;
  const rank = to.length;
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let i = rank - 1; i >= 0; i--) {
    const d = from[from.length - rank + i] ?? 1;
    strides[i] = d === 1 ? 0 : stride;
    stride *= d;
  }
  for (let o = 0; o < size; o++) {
    let rest = o;
    let at = 0;
    for (let i = rank - 1; i >= 0; i--) {
      const d = to[i]!;
      at += (rest % d) * strides[i]!;
      rest = Math.floor(rest / d);
    }
    index[o] = at;
  }
  return index;
}

/** `op` over a and b broadcast together; the result has `type`. */
export function applyBinary(a: Value, b: Value, op: Binary, type: ElementType, round: Unary): Value {
  const dims = broadcastDims(a.dims, b.dims);
  const size = sizeOf(dims);
  const x = numeric(a);
  const y = numeric(b);
  const out = allocate(type, size) as Float32Array | Float64Array | Uint8Array;
  const kernel = kernelFor(op, round, out);
  if (kernel !== undefined && (x.length === size || x.length === 1) && (y.length === size || y.length === 1)) {
    kernel(x, y, out, size, x.length === size ? 1 : 0, y.length === size ? 1 : 0);
  } else if (x.length === size && y.length === size) {
    for (let i = 0; i < size; i++) out[i] = round(op(x[i]!, y[i]!));
  } else if (x.length === size && y.length === 1) {
    const v = y[0]!;
    for (let i = 0; i < size; i++) out[i] = round(op(x[i]!, v));
  } else if (y.length === size && x.length === 1) {
    const v = x[0]!;
    for (let i = 0; i < size; i++) out[i] = round(op(v, y[i]!));
  } else {
    const ia = broadcastIndex(a.dims, dims);
    const ib = broadcastIndex(b.dims, dims);
    for (let i = 0; i < size; i++) out[i] = round(op(x[ia === undefined ? i : ia[i]!]!, y[ib === undefined ? i : ib[i]!]!));
  }
  return { type, dims, data: out };
}

export function applyUnary(a: Value, op: Unary, round: Unary): Value {
  const x = numeric(a);
  const out = allocate(a.type, x.length) as Float32Array | Float64Array | Uint8Array;
  const kernel = isRoundedByStore(round, out) ? UNARY_KERNELS.get(op) : undefined;
  if (kernel !== undefined) kernel(x, out);
  else for (let i = 0; i < x.length; i++) out[i] = round(op(x[i]!));
  return { type: a.type, dims: [...a.dims], data: out };
}

/** Where(condition, x, y). */
export function applyWhere(condition: Value, x: Value, y: Value): Value {
  const dims = broadcastDims(broadcastDims(condition.dims, x.dims), y.dims);
  const size = sizeOf(dims);
  const [ic, ix, iy] = [condition, x, y].map((v) => broadcastIndex(v.dims, dims));
  const c = numeric(condition);
  const xs = numeric(x);
  const ys = numeric(y);
  const out = allocate(x.type, size) as Float32Array | Float64Array | Uint8Array;
  const at = (index: Int32Array | undefined, i: number, length: number): number => (index === undefined ? (length === 1 ? 0 : i) : index[i]!);
  for (let i = 0; i < size; i++) out[i] = c[at(ic, i, c.length)]! !== 0 ? xs[at(ix, i, xs.length)]! : ys[at(iy, i, ys.length)]!;
  return { type: x.type, dims, data: out };
}
