/**
 * The fused forest's walk in WebAssembly (wasm/tree-walk, rebuilt by wasm/build.sh; the built
 * wasm/tree-walk.wasm is committed). Each tree is laid out complete, so that a row takes a fixed number of
 * branch-free steps per tree (see the crate's comment). Taken only where it computes exactly what the
 * JavaScript loop does: float32 rows and sums, every split `x <= threshold` or `x < threshold`, NaN to the side
 * the node's missing-value tracking names (the flagged walk; without `<` or tracking, the plain one).
 */

import { fileURLToPath } from 'node:url';
import { growWasmMemory, instantiateWasm, type WasmMemory } from '../wasm-module.js';

interface TreeWalk {
  memory: WasmMemory;
  heap_base(): number;
  /** `flags` 0 (null): every split `<=`, NaN to the second child. */
  sum_trees(trees: number, depths: number, nodesAt: number, leavesAt: number, features: number, thresholds: number, flags: number, leaves: number, x: number, rows: number, columns: number, out: number): void;
}

/**
 * The split nodes and leaves the walk needs, as the fused forest holds them (a leaf's ~index into values). Without
 * `mode` and `isMissingTrue` every split is `x <= threshold` and a NaN goes to the second child.
 */
export interface ForestNodes {
  roots: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  trueNext: Int32Array;
  falseNext: Int32Array;
  values: Float64Array;
  /** Per node: 0 BRANCH_LEQ, 1 BRANCH_LT (tree-ensemble.ts MODES); a leaf's entry is not read. */
  mode?: Uint8Array;
  /** Per node: 1 when a NaN goes to the true side. */
  isMissingTrue?: Uint8Array;
}

const LEQ = 0;
const LT = 1;
const LEAF = 255;

/** Deeper trees would take 2^depth slots each; such forests keep the JavaScript loop. */
const MAX_DEPTH = 12;

const WASM_FILE = fileURLToPath(new URL('../../../../wasm/tree-walk.wasm', import.meta.url));

/** The levels of split nodes on the longest path from `root` (0 for a tree that is a leaf); one loop, no recursion. */
function depthOf(m: ForestNodes, root: number): number {
  let depth = 0;
  const stack = [root, 1];
  while (stack.length > 0) {
    const level = stack.pop()!;
    const n = stack.pop()!;
    if (n < 0) continue;
    if (level > depth) depth = level;
    stack.push(m.trueNext[n]!, level + 1, m.falseNext[n]!, level + 1);
  }
  return depth;
}

/** One complete tree's arrays: split nodes in heap order (flags: bit 0 `<`, bit 1 NaN goes true), then leaves. */
interface CompleteTree {
  features: Int32Array;
  thresholds: Float32Array;
  flags: Uint8Array | undefined;
  leaves: Float32Array;
  first: number;
}

/** Writes the subtree under `n` at heap slot `i` of a complete tree of `depth` levels below it. */
function fillComplete(m: ForestNodes, n: number, i: number, depth: number, tree: CompleteTree): void {
  if (depth === 0) {
    tree.leaves[i - tree.first] = m.values[~n]!;
    return;
  }
  // Below a leaf both sides lead to copies of it, so its filler splits may compare anything.
  if (n >= 0) {
    tree.features[i] = m.feature[n]!;
    tree.thresholds[i] = m.threshold[n]!;
    if (tree.flags !== undefined) tree.flags[i] = (m.mode![n] === LT ? 1 : 0) | (m.isMissingTrue![n] === 1 ? 2 : 0);
  }
  fillComplete(m, n < 0 ? n : m.trueNext[n]!, 2 * i + 1, depth - 1, tree);
  fillComplete(m, n < 0 ? n : m.falseNext[n]!, 2 * i + 2, depth - 1, tree);
}

/** Whether the flagged walk is needed (some `<` split or tracked NaN), or undefined when a split is of another mode. */
function needsFlags(m: ForestNodes): boolean | undefined {
  if (m.mode === undefined || m.isMissingTrue === undefined) return false;
  let isNeeded = false;
  for (let n = 0; n < m.feature.length; n++) {
    const mode = m.mode[n]!;
    if (mode !== LEQ && mode !== LT && mode !== LEAF) return undefined;
    if (mode === LT || m.isMissingTrue[n] === 1) isNeeded = true;
  }
  return isNeeded;
}

export type SumForest = (x: Float32Array, rows: number, columns: number, out: Float32Array) => void;

/**
 * The forest's walk in its own WebAssembly instance, or undefined when a tree is deeper than MAX_DEPTH or a split
 * is neither `<=` nor `<`.
 */
export function makeWasmForest(m: ForestNodes): SumForest | undefined {
  const trees = m.roots.length;
  const isFlagged = needsFlags(m);
  const depths = Array.from(m.roots, (root) => depthOf(m, root));
  if (isFlagged === undefined || depths.some((d) => d > MAX_DEPTH)) return undefined;
  const wasm = instantiateWasm<TreeWalk>(WASM_FILE);
  const nodeCount = depths.reduce((sum, d) => sum + (1 << d) - 1, 0);
  const leafCount = depths.reduce((sum, d) => sum + (1 << d), 0);
  let at = (wasm.heap_base() + 7) & ~7;
  const take = (bytes: number) => ((at += (bytes + 7) & ~7), at - ((bytes + 7) & ~7));
  const depthsAt = take(trees * 4);
  const nodesAtAt = take(trees * 4);
  const leavesAtAt = take(trees * 4);
  const featuresAt = take(nodeCount * 4);
  const thresholdsAt = take(nodeCount * 4);
  const flagsAt = take(isFlagged ? nodeCount : 0);
  const leavesAt = take(leafCount * 4);
  const scratch = at;
  growWasmMemory(wasm.memory, scratch);
  const buffer = wasm.memory.buffer;
  const features = new Int32Array(buffer, featuresAt, nodeCount);
  const thresholds = new Float32Array(buffer, thresholdsAt, nodeCount);
  const leaves = new Float32Array(buffer, leavesAt, leafCount);
  const flags = isFlagged ? new Uint8Array(buffer, flagsAt, nodeCount) : undefined;
  const nodesAt = new Uint32Array(buffer, nodesAtAt, trees);
  const treeLeavesAt = new Uint32Array(buffer, leavesAtAt, trees);
  new Uint32Array(buffer, depthsAt, trees).set(depths);
  let nodes = 0;
  let leafSlots = 0;
  depths.forEach((depth, t) => {
    nodesAt[t] = nodes;
    treeLeavesAt[t] = leafSlots;
    const size = (1 << depth) - 1;
    fillComplete(m, m.roots[t]!, 0, depth, {
      features: features.subarray(nodes, nodes + size),
      thresholds: thresholds.subarray(nodes, nodes + size),
      flags: flags?.subarray(nodes, nodes + size),
      leaves: leaves.subarray(leafSlots, leafSlots + size + 1),
      first: size,
    });
    nodes += size;
    leafSlots += size + 1;
  });
  return (x, rows, columns, out) => {
    const xAt = scratch;
    const outAt = scratch + ((rows * columns * 4 + 7) & ~7);
    growWasmMemory(wasm.memory, outAt + rows * 4);
    new Float32Array(wasm.memory.buffer, xAt, rows * columns).set(x.subarray(0, rows * columns));
    wasm.sum_trees(trees, depthsAt, nodesAtAt, leavesAtAt, featuresAt, thresholdsAt, isFlagged ? flagsAt : 0, leavesAt, xAt, rows, columns, outAt);
    out.set(new Float32Array(wasm.memory.buffer, outAt, rows));
  };
}
