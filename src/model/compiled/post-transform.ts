/**
 * The score transforms of ai.onnx.ml tree ensembles, in float32 step by step as onnxruntime computes them
 * (core/providers/cpu/ml/ml_common.h), so that compiled scores equal onnxruntime's. PROBIT is not among them.
 */

const f = Math.fround;
const ZERO = f(0.0000001);
export type PostTransform = 'NONE' | 'LOGISTIC' | 'SOFTMAX' | 'SOFTMAX_ZERO' | 'PROBIT';
export const POST_TRANSFORMS: readonly PostTransform[] = ['NONE', 'LOGISTIC', 'SOFTMAX', 'SOFTMAX_ZERO', 'PROBIT'];

export function logistic(value: number): number {
  const v = f(1 / f(1 + f(Math.exp(-Math.abs(value)))));
  return value < 0 ? f(1 - v) : v;
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
  // PROBIT never gets here: tree-ensemble.ts leaves it to onnxruntime.
  if (transform !== 'LOGISTIC') return;
  for (let i = from; i < from + count; i++) scores[i] = logistic(scores[i]!);
}
