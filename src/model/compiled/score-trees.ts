/**
 * Scores rows with a compiled tree ensemble: one tight loop per tree over flat typed arrays, then onnxruntime's
 * aggregation and post-transform, in float32 (see tree-ensemble.ts).
 */

import { logistic, transformScores } from './post-transform.js';
import type { TreeEnsemble } from './tree-ensemble.js';
import { makeWasmForest, type SumForest } from './wasm-forest.js';

const f = Math.fround;
type Rows = Float32Array | Float64Array;

/** The node arrays a walk reads. */
export type TreeNodes = Pick<TreeEnsemble, 'feature' | 'threshold' | 'mode' | 'isMissingTrue' | 'trueNext' | 'falseNext' | 'isAllLeq'>;

/** The leaf a row (its features at x[base ..]) reaches from `node`. */
export function findLeaf(e: TreeNodes, x: Rows, base: number, node: number): number {
  const { feature, threshold, trueNext, falseNext, isMissingTrue } = e;
  let n = node;
  if (e.isAllLeq) {
    while (n >= 0) {
      const v = x[base + feature[n]!]!;
      n = v <= threshold[n]! || (v !== v && isMissingTrue[n] === 1) ? trueNext[n]! : falseNext[n]!;
    }
    return ~n;
  }
  const mode = e.mode;
  while (n >= 0) {
    const v = x[base + feature[n]!]!;
    const t = threshold[n]!;
    const m = mode[n]!;
    let isTrue = m === 0 ? v <= t : m === 1 ? v < t : m === 2 ? v >= t : m === 3 ? v > t : m === 4 ? v === t : v !== t;
    if (!isTrue && v !== v && isMissingTrue[n] === 1) isTrue = true;
    n = isTrue ? trueNext[n]! : falseNext[n]!;
  }
  return ~n;
}

/** A leaf's weight in a one-target ensemble (0 for a leaf without one). */
function leafValue(e: TreeEnsemble, leaf: number): number {
  return e.leafStart[leaf + 1]! > e.leafStart[leaf]! ? e.leafWeight[e.leafStart[leaf]!]! : 0;
}

/**
 * The WebAssembly walk (wasm-forest.ts) for a one-target regressor that sums its trees, where it computes exactly
 * what scoreOneTarget's loop does: every split `x <= threshold` or `x < threshold` (scikit-learn, LightGBM,
 * XGBoost), a NaN to the side its node's missing-value tracking names, rows given as float32. Undefined otherwise
 * (other split modes, or a tree deeper than the walk takes).
 */
export function makeTreeWalk(e: TreeEnsemble): SumForest | undefined {
  const isSum = e.aggregate === 'SUM' || e.aggregate === 'AVERAGE';
  if (e.isClassifier || e.width !== 1 || !isSum || e.roots.length === 0) return undefined;
  const values = Float64Array.from({ length: e.leafStart.length - 1 }, (_, leaf) => leafValue(e, leaf));
  return makeWasmForest({ roots: e.roots, feature: e.feature, threshold: e.threshold, trueNext: e.trueNext, falseNext: e.falseNext, values, mode: e.mode, isMissingTrue: e.isMissingTrue });
}

/**
 * One target: onnxruntime's "1 output" aggregators. Trees are the outer loop (see fuse-forest.ts). `walk` (from
 * makeTreeWalk) sums the trees of float32 rows in WebAssembly: the same float32 sum in the same tree order.
 */
function scoreOneTarget(e: TreeEnsemble, x: Rows, rows: number, columns: number, out: Float32Array, walk: SumForest | undefined): void {
  const { roots } = e;
  const origin = e.baseValues.length === 1 ? e.baseValues[0]! : 0;
  const isSum = e.aggregate === 'SUM' || e.aggregate === 'AVERAGE';
  const isMin = e.aggregate === 'MIN';
  if (walk !== undefined && x instanceof Float32Array) {
    walk(x, rows, columns, out);
  } else {
    for (let t = 0; t < roots.length; t++) {
      const root = roots[t]!;
      for (let r = 0; r < rows; r++) {
        const w = leafValue(e, root < 0 ? ~root : findLeaf(e, x, r * columns, root));
        if (isSum) out[r] = f(out[r]! + w);
        else if (t === 0 || (isMin ? w < out[r]! : w > out[r]!)) out[r] = w;
      }
    }
  }
  for (let r = 0; r < rows; r++) {
    let score = out[r]!;
    if (e.aggregate === 'AVERAGE') score = f(score / roots.length);
    out[r] = isSum || roots.length > 0 ? f(score + origin) : origin;
  }
}

/** Adds (or takes the min or max of) each tree's leaf weights into one row's scores. */
function accumulateRow(e: TreeEnsemble, x: Rows, base: number, scores: Float32Array, at: number, has: Uint8Array): void {
  const { roots, leafStart, leafTarget, leafWeight, aggregate } = e;
  for (let t = 0; t < roots.length; t++) {
    const leaf = roots[t]! < 0 ? ~roots[t]! : findLeaf(e, x, base, roots[t]!);
    for (let k = leafStart[leaf]!; k < leafStart[leaf + 1]!; k++) {
      const j = leafTarget[k]!;
      const w = leafWeight[k]!;
      if (aggregate === 'SUM' || aggregate === 'AVERAGE') scores[at + j] = f(scores[at + j]! + w);
      else if (has[j] === 0 || (aggregate === 'MIN' ? w < scores[at + j]! : w > scores[at + j]!)) scores[at + j] = w;
      has[j] = 1;
    }
  }
}

/** Several targets: onnxruntime's "N outputs" regressor aggregators. */
function finishTargets(e: TreeEnsemble, scores: Float32Array, at: number, has: Uint8Array): void {
  const isBase = e.baseValues.length === e.width;
  for (let j = 0; j < e.width; j++) {
    const base = isBase ? e.baseValues[j]! : 0;
    const s = scores[at + j]!;
    if (has[j] === 0) scores[at + j] = 0;
    else if (e.aggregate === 'SUM') scores[at + j] = isBase ? f(s + base) : s;
    else if (e.aggregate === 'AVERAGE') scores[at + j] = f(f(s / e.roots.length) + base);
    else scores[at + j] = f(base + s);
  }
  transformScores(scores, at, e.width, e.postTransform);
}

export interface TreeScores {
  scores: Float32Array;
  /** Classifiers: each row's label (an int64 label, or the index of a string label). */
  labels: Float64Array | undefined;
}

export function scoreTrees(e: TreeEnsemble, x: Rows, rows: number, columns: number, walk?: SumForest): TreeScores {
  const scores = new Float32Array(rows * e.width);
  if (!e.isClassifier && e.width === 1) {
    scoreOneTarget(e, x, rows, columns, scores, walk);
    return { scores, labels: undefined };
  }
  const labels = e.isClassifier ? new Float64Array(rows) : undefined;
  const has = new Uint8Array(e.width);
  for (let r = 0; r < rows; r++) {
    has.fill(0);
    accumulateRow(e, x, r * columns, scores, r * e.width, has);
    if (labels === undefined) finishTargets(e, scores, r * e.width, has);
    else labels[r] = finishClasses(e, scores, r * e.width, has);
  }
  return { scores, labels };
}

/** A class's label as onnxruntime computes it: the int64 label, or the index of a string label. */
function labelAt(e: TreeEnsemble, k: number): number {
  return typeof e.classLabels[0] === 'string' ? k : (e.classLabels[k] as number);
}

/** onnxruntime's _set_score_binary: the label, and how the second score is written. */
function chooseBinary(e: TreeEnsemble, positive: number, isBinaryCase: boolean): { label: number; second: number } {
  if (!isBinaryCase) return { label: positive > 0 ? 1 : 0, second: -1 };
  if (e.isAllPositive) return positive > 0.5 ? { label: labelAt(e, 1), second: 0 } : { label: labelAt(e, 0), second: 1 };
  return positive > 0 ? { label: labelAt(e, 1), second: 2 } : { label: labelAt(e, 0), second: 3 };
}

/** Two classes, one score (the other class never weighted): onnxruntime's binary write_scores. */
function writeSecondScore(e: TreeEnsemble, scores: Float32Array, at: number, second: number): void {
  const s = scores[at]!;
  if (second === 0 || second === 1) {
    scores[at] = f(1 - s);
    scores[at + 1] = s;
  } else if (second >= 2) {
    const isLogistic = e.postTransform === 'LOGISTIC';
    scores[at] = isLogistic ? logistic(-s) : -s;
    scores[at + 1] = isLogistic ? logistic(s) : s;
  }
}

function finishBinary(e: TreeEnsemble, scores: Float32Array, at: number, has: Uint8Array): number {
  const base = e.baseValues;
  const isBinaryCase = e.isBinaryCase;
  let second = -1;
  if (base.length === 2) {
    if (has[1] === 1) {
      scores[at + 1] = f(base[1]! + scores[at]!);
      scores[at] = -scores[at + 1]!;
    } else {
      scores[at + 1] = f(scores[at + 1]! + base[1]!);
      scores[at] = f(scores[at]! + base[0]!);
    }
  } else if (base.length === 1) {
    scores[at] = f(scores[at]! + base[0]!);
  } else if (base.length === 0) {
    second = 3;
  }
  const isOneScore = base.length < 2 && has[1] === 0;
  const positive = !isOneScore ? scores[at + 1]! : has[0] === 1 ? scores[at]! : 0;
  const chosen = chooseBinary(e, positive, isBinaryCase);
  if (isBinaryCase) second = chosen.second;
  if (isOneScore) {
    scores[at + 1] = 0;
    writeSecondScore(e, scores, at, second);
  } else {
    transformScores(scores, at, 2, e.postTransform);
  }
  return chosen.label;
}

/** onnxruntime's TreeAggregatorClassifier::FinalizeScores; returns the row's label (see labelAt). */
function finishClasses(e: TreeEnsemble, scores: Float32Array, at: number, has: Uint8Array): number {
  if (e.width === 2) return finishBinary(e, scores, at, has);
  for (let k = 0; k < e.baseValues.length; k++) {
    scores[at + k] = has[k] === 1 ? f(scores[at + k]! + e.baseValues[k]!) : e.baseValues[k]!;
    has[k] = 1;
  }
  let best = -1;
  for (let k = 0; k < e.width; k++) {
    if (has[k] === 1 && (best === -1 || scores[at + k]! > scores[at + best]!)) best = k;
  }
  transformScores(scores, at, e.width, e.postTransform);
  return labelAt(e, Math.max(best, 0));
}
