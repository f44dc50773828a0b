/**
 * The WebAssembly forest walk (complete trees, branch-free steps) against a plain walk of the same nodes: trees
 * of uneven depths, a tree that is a single leaf, NaN features and values exactly at thresholds.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readOnnx } from '../../src/model/compiled/read-onnx.js';
import { makeTreeWalk, scoreTrees } from '../../src/model/compiled/score-trees.js';
import { readTreeEnsemble } from '../../src/model/compiled/tree-ensemble.js';
import { makeWasmForest, type ForestNodes } from '../../src/model/compiled/wasm-forest.js';
import { MODELS } from '../helpers/paths.js';

/** A pseudo-random generator with a fixed seed, so that a failure reproduces. */
function makeRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const THRESHOLDS = [-1, 0, 0.5, 1, 2];

/** Random trees: a node splits until `depth` runs out or a coin says leaf. */
function makeForest(trees: number, columns: number, random: () => number): ForestNodes {
  const feature: number[] = [];
  const threshold: number[] = [];
  const trueNext: number[] = [];
  const falseNext: number[] = [];
  const values: number[] = [];
  const grow = (depth: number): number => {
    if (depth === 0 || random() < 0.25) {
      values.push(Math.fround(random() * 10 - 5));
      return ~(values.length - 1);
    }
    const n = feature.length;
    feature.push(Math.floor(random() * columns));
    threshold.push(THRESHOLDS[Math.floor(random() * THRESHOLDS.length)]!);
    trueNext.push(0);
    falseNext.push(0);
    trueNext[n] = grow(depth - 1);
    falseNext[n] = grow(depth - 1);
    return n;
  };
  const roots = Array.from({ length: trees }, (_, t) => grow(t === 0 ? 0 : 1 + (t % 9)));
  return {
    roots: Int32Array.from(roots),
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    trueNext: Int32Array.from(trueNext),
    falseNext: Int32Array.from(falseNext),
    values: Float64Array.from(values),
  };
}

function sumPlainly(m: ForestNodes, x: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < m.roots.length; t++) {
      let n = m.roots[t]!;
      while (n >= 0) n = x[r * columns + m.feature[n]!]! <= Math.fround(m.threshold[n]!) ? m.trueNext[n]! : m.falseNext[n]!;
      out[r] = t === 0 ? m.values[~n]! : Math.fround(out[r]! + m.values[~n]!);
    }
  }
  return out;
}

describe('WebAssembly forest walk', () => {
  it('sums the same float32 leaf values as a plain walk, NaN and ties included, over several blocks', () => {
    const random = makeRandom(19);
    const columns = 5;
    const forest = makeForest(40, columns, random);
    const sum = makeWasmForest(forest);
    assert.ok(sum !== undefined);
    for (const rows of [1, 300, 1024]) {
      const x = Float32Array.from({ length: rows * columns }, () => (random() < 0.1 ? NaN : random() < 0.3 ? THRESHOLDS[Math.floor(random() * THRESHOLDS.length)]! : random() * 6 - 3));
      const out = new Float32Array(rows);
      sum(x, rows, columns, out);
      assert.deepEqual(out, sumPlainly(forest, x, rows, columns));
    }
  });

  it('declines a forest with a tree deeper than it lays out', () => {
    const forest = makeForest(2, 3, makeRandom(7));
    const deep = 14;
    const next = Int32Array.from({ length: deep }, (_, n) => (n + 1 < deep ? n + 1 : ~0));
    assert.equal(makeWasmForest({ ...forest, roots: Int32Array.of(0), feature: new Int32Array(deep), threshold: new Float64Array(deep), trueNext: next, falseNext: Int32Array.from(next, (n) => (n >= 0 ? ~0 : n)) }), undefined);
  });

  it('walks a one-target sum (the fixture GBR, and with < splits and tracked NaN) to the same float32 scores as the JavaScript loop, and declines other ensembles', () => {
    const node = readOnnx(readFileSync(join(MODELS, 'latency.onnx'))).nodes.find((n) => n.opType === 'TreeEnsembleRegressor')!;
    const ensemble = readTreeEnsemble(node);
    const walk = makeTreeWalk(ensemble);
    assert.ok(walk !== undefined);
    const random = makeRandom(23);
    const columns = Math.max(...ensemble.feature) + 1;
    const thresholds = Array.from(ensemble.threshold);
    for (const rows of [1, 257, 2048]) {
      const x = Float32Array.from({ length: rows * columns }, () => (random() < 0.05 ? NaN : random() < 0.3 ? thresholds[Math.floor(random() * thresholds.length)]! : random() * 200));
      assert.deepEqual(scoreTrees(ensemble, x, rows, columns, walk).scores, scoreTrees(ensemble, x, rows, columns).scores);
    }
    // With `<` splits and NaN sent to the true side (the flagged walk), still the JavaScript loop's scores.
    const flagged = { ...ensemble, mode: Uint8Array.from(ensemble.mode, (m, i) => (m === 0 && i % 2 === 0 ? 1 : m)), isMissingTrue: Uint8Array.from(ensemble.isMissingTrue, (_, i) => i % 3), isAllLeq: false };
    flagged.isMissingTrue.forEach((m, i, all) => (all[i] = m === 1 ? 1 : 0));
    const flaggedWalk = makeTreeWalk(flagged);
    assert.ok(flaggedWalk !== undefined);
    const x = Float32Array.from({ length: 2048 * columns }, () => (random() < 0.1 ? NaN : random() < 0.4 ? thresholds[Math.floor(random() * thresholds.length)]! : random() * 200));
    assert.deepEqual(scoreTrees(flagged, x, 2048, columns, flaggedWalk).scores, scoreTrees(flagged, x, 2048, columns).scores);
    assert.notDeepEqual(scoreTrees(flagged, x, 2048, columns).scores, scoreTrees(ensemble, x, 2048, columns).scores);
    assert.equal(makeTreeWalk({ ...ensemble, aggregate: 'MAX' }), undefined);
    // BRANCH_GTE is not walked in WebAssembly.
    assert.equal(makeTreeWalk({ ...ensemble, mode: Uint8Array.from(ensemble.mode, (m, i) => (i === 0 ? 2 : m)), isAllLeq: false }), undefined);
  });
});
