/**
 * The score transforms of ai.onnx.ml tree ensembles, in float32 step by step as onnxruntime computes them
 * (core/providers/cpu/ml/ml_common.h), so that compiled scores equal onnxruntime's.
 */

const f = Math.fround;
const ZERO = f(0.0000001);
export type PostTransform = 'NONE' | 'LOGISTIC' | 'SOFTMAX' | 'SOFTMAX_ZERO' | 'PROBIT';
export const POST_TRANSFORMS: readonly PostTransform[] = ['NONE', 'LOGISTIC', 'SOFTMAX', 'SOFTMAX_ZERO', 'PROBIT'];

export function logistic(value: number): number {
  const v = f(1 / f(1 + f(Math.exp(-Math.abs(value)))));
  return value < 0 ? f(1 - v) : v;
}

const ERF_A = f(0.147);
const ERF_B = f(2 / f(f(3.14159) * ERF_A));
const ERF_C = f(1 / ERF_A);

/** The approximate inverse error function onnxruntime uses (Winitzki's formula). */
function inverseErf(value: number): number {
  const sign = value < 0 ? -1 : 1;
  const x = f(f(1 - value) * f(1 + value));
  const log = f(Math.log(x));
  const v = f(ERF_B + f(0.5 * log));
  const v2 = f(ERF_C * log);
  const v3 = f(-v + f(Math.sqrt(f(f(v * v) - v2))));
  return f(sign * f(Math.sqrt(v3)));
}

export function probit(value: number): number {
  return f(f(1.41421356) * inverseErf(f(f(value * 2) - 1)));
}

/** Softmax over scores[from, from + count), in place. */
function softmax(scores: Float32Array, from: number, count: number, isZeroSkipped: boolean): void {
  let max = -3.4028234663852886e38;
  for (let i = from; i < from + count; i++) if (scores[i]! > max) max = scores[i]!;
  const expNegMax = f(Math.exp(-max));
  let sum = 0;
  for (let i = from; i < from + count; i++) {
    const s = scores[i]!;
    if (isZeroSkipped && !(s > ZERO || s < -ZERO)) {
      scores[i] = f(s * expNegMax);
    } else {
      scores[i] = f(Math.exp(f(s - max)));
      sum = f(sum + scores[i]!);
    }
  }
  for (let i = from; i < from + count; i++) scores[i] = f(scores[i]! / sum);
}

/** onnxruntime's write_scores for two or more scores of a row. */
export function transformScores(scores: Float32Array, from: number, count: number, transform: PostTransform): void {
  if (transform === 'SOFTMAX' || transform === 'SOFTMAX_ZERO') {
    softmax(scores, from, count, transform === 'SOFTMAX_ZERO');
    return;
  }
  if (transform === 'NONE') return;
  const apply = transform === 'LOGISTIC' ? logistic : probit;
  for (let i = from; i < from + count; i++) scores[i] = apply(scores[i]!);
}
