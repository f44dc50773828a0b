/**
 * ai.onnx.ml TreeEnsembleRegressor and TreeEnsembleClassifier as flat typed arrays and a tight loop per tree.
 * The arithmetic follows onnxruntime's (core/providers/cpu/ml/tree_ensemble_aggregator.h): inputs and
 * thresholds compared as float32, leaf weights accumulated in float32 tree by tree, base values added last.
 */

import type { OnnxAttribute, OnnxNode } from './read-onnx.js';
import { POST_TRANSFORMS, type PostTransform } from './post-transform.js';
import { UnsupportedModel } from './unsupported.js';

export const MODES = ['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ'] as const;
const LEAF = 255;
export type Aggregate = 'SUM' | 'AVERAGE' | 'MIN' | 'MAX';

export interface TreeEnsemble {
  isClassifier: boolean;
  /** Targets (regressor) or classes (classifier). */
  width: number;
  aggregate: Aggregate;
  postTransform: PostTransform;
  baseValues: Float32Array;
  /** Per tree: its root node, or ~leaf for a tree that is a single leaf. */
  roots: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  mode: Uint8Array;
  isMissingTrue: Uint8Array;
  /** Next node, or ~leaf. */
  trueNext: Int32Array;
  falseNext: Int32Array;
  /** Leaf l's weights are leafTarget/leafWeight[leafStart[l] .. leafStart[l + 1]). */
  leafStart: Int32Array;
  leafTarget: Int32Array;
  leafWeight: Float32Array;
  /** Every branch is BRANCH_LEQ (the common case gets its own loop). */
  isAllLeq: boolean;
  /** Two classes and only one of them weighted (onnxruntime's binary_case_). */
  isBinaryCase: boolean;
  /** No negative leaf weight (onnxruntime's weights_are_all_positive_). */
  isAllPositive: boolean;
  classLabels: number[] | string[];
}

function attribute(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attributes.get(name);
}

function ints(node: OnnxNode, name: string): number[] {
  return attribute(node, name)?.ints ?? [];
}

function floats(node: OnnxNode, name: string): number[] {
  return attribute(node, name)?.floats ?? [];
}

function checkAttributes(node: OnnxNode): void {
  for (const name of ['nodes_values_as_tensor', 'target_weights_as_tensor', 'class_weights_as_tensor', 'base_values_as_tensor']) {
    if (node.attributes.has(name)) throw new UnsupportedModel(`${node.opType} with ${name}`);
  }
  const transform = attribute(node, 'post_transform')?.s || 'NONE';
  if (!(POST_TRANSFORMS as readonly string[]).includes(transform)) throw new UnsupportedModel(`${node.opType} post_transform ${transform}`);
  const aggregate = attribute(node, 'aggregate_function')?.s || 'SUM';
  if (!['SUM', 'AVERAGE', 'MIN', 'MAX'].includes(aggregate)) throw new UnsupportedModel(`${node.opType} aggregate_function ${aggregate}`);
  // onnxruntime's PROBIT approximates erfinv its own way: not reproduced, so not claimed.
  if (transform === 'PROBIT') throw new UnsupportedModel(`${node.opType} post_transform PROBIT`);
  if (node.opType === 'TreeEnsembleClassifier' && aggregate !== 'SUM') throw new UnsupportedModel(`TreeEnsembleClassifier aggregate_function ${aggregate}`);
  const classes = (attribute(node, 'classlabels_strings')?.strings.length ?? 0) + (attribute(node, 'classlabels_int64s')?.ints.length ?? 0);
  // Two classes with two base values take a path in onnxruntime the engine does not reproduce exactly.
  if (node.opType === 'TreeEnsembleClassifier' && classes === 2 && floats(node, 'base_values').length === 2) {
    throw new UnsupportedModel('TreeEnsembleClassifier with two classes and two base_values');
  }
}

/** One number per (tree, node) pair: node ids stay far below 2^26, tree ids below 2^27. */
function key(tree: number, node: number): number {
  return tree * 67108864 + node;
}

/** Numbers every (tree, node) pair; a branch's children are found through it. */
function indexNodes(treeIds: number[], nodeIds: number[]): Map<number, number> {
  const index = new Map<number, number>();
  for (let i = 0; i < treeIds.length; i++) index.set(key(treeIds[i]!, nodeIds[i]!), i);
  return index;
}

interface LeafWeights {
  byNode: Map<number, { target: number; weight: number }[]>;
}

function collectWeights(node: OnnxNode, index: Map<number, number>): LeafWeights {
  const prefix = node.opType === 'TreeEnsembleClassifier' ? 'class' : 'target';
  const treeIds = ints(node, `${prefix}_treeids`);
  const nodeIds = ints(node, `${prefix}_nodeids`);
  const targets = ints(node, `${prefix}_ids`);
  const weights = floats(node, `${prefix}_weights`);
  const byNode = new Map<number, { target: number; weight: number }[]>();
  for (let i = 0; i < treeIds.length; i++) {
    const at = index.get(key(treeIds[i]!, nodeIds[i]!));
    if (at === undefined) throw new UnsupportedModel(`${node.opType} weight for a node that does not exist`);
    const list = byNode.get(at) ?? [];
    list.push({ target: targets[i] ?? 0, weight: Math.fround(weights[i] ?? 0) });
    byNode.set(at, list);
  }
  return { byNode };
}

function readModes(node: OnnxNode, count: number): Uint8Array {
  const names = attribute(node, 'nodes_modes')?.strings ?? [];
  const modes = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const name = names[i] ?? '';
    const mode = name === 'LEAF' ? LEAF : (MODES as readonly string[]).indexOf(name);
    if (mode < 0) throw new UnsupportedModel(`${node.opType} node mode ${name || '(none)'}`);
    modes[i] = mode;
  }
  return modes;
}

/** Roots in the order onnxruntime sums trees: each tree id's first unreferenced node, trees as first seen. */
function findRoots(treeIds: number[], trueIds: number[], falseIds: number[], modes: Uint8Array, index: Map<number, number>): number[] {
  const isChild = new Uint8Array(treeIds.length);
  for (let i = 0; i < treeIds.length; i++) {
    if (modes[i] === LEAF) continue;
    for (const child of [trueIds[i], falseIds[i]]) {
      const at = index.get(key(treeIds[i]!, child!));
      if (at === undefined) throw new UnsupportedModel('a tree branch to a node that does not exist');
      isChild[at] = 1;
    }
  }
  const seen = new Set<number>();
  const roots: number[] = [];
  for (let i = 0; i < treeIds.length; i++) {
    if (isChild[i] === 1 || seen.has(treeIds[i]!)) continue;
    seen.add(treeIds[i]!);
    roots.push(i);
  }
  return roots;
}

function readClassLabels(node: OnnxNode): number[] | string[] {
  const strings = attribute(node, 'classlabels_strings')?.strings ?? [];
  return strings.length > 0 ? strings : ints(node, 'classlabels_int64s');
}

/** Compiles one tree-ensemble node; throws UnsupportedModel naming what it cannot run. */
export function readTreeEnsemble(node: OnnxNode): TreeEnsemble {
  checkAttributes(node);
  const treeIds = ints(node, 'nodes_treeids');
  const nodeIds = ints(node, 'nodes_nodeids');
  const count = treeIds.length;
  const index = indexNodes(treeIds, nodeIds);
  const modes = readModes(node, count);
  const trueIds = ints(node, 'nodes_truenodeids');
  const falseIds = ints(node, 'nodes_falsenodeids');
  const { byNode } = collectWeights(node, index);
  const leafOf = new Int32Array(count).fill(-1);
  const leafStart = [0];
  const leafTarget: number[] = [];
  const leafWeight: number[] = [];
  for (let i = 0; i < count; i++) {
    if (modes[i] !== LEAF) continue;
    leafOf[i] = leafStart.length - 1;
    for (const w of byNode.get(i) ?? []) {
      leafTarget.push(w.target);
      leafWeight.push(w.weight);
    }
    leafStart.push(leafTarget.length);
  }
  const next = (tree: number, id: number): number => {
    const at = index.get(key(tree, id))!;
    return modes[at] === LEAF ? ~leafOf[at]! : at;
  };
  const trueNext = new Int32Array(count);
  const falseNext = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    if (modes[i] === LEAF) continue;
    trueNext[i] = next(treeIds[i]!, trueIds[i]!);
    falseNext[i] = next(treeIds[i]!, falseIds[i]!);
  }
  const roots = findRoots(treeIds, trueIds, falseIds, modes, index).map((r) => (modes[r] === LEAF ? ~leafOf[r]! : r));
  const isClassifier = node.opType === 'TreeEnsembleClassifier';
  const classLabels = readClassLabels(node);
  const width = isClassifier ? classLabels.length : attribute(node, 'n_targets')?.i || 1;
  if (leafTarget.some((t) => t < 0 || t >= width)) throw new UnsupportedModel(`${node.opType} weight for a target out of range`);
  const isBinaryCase = isClassifier && width === 2 && new Set(leafTarget).size === 1;
  // onnxruntime transforms the lone score of that case in a way not reproduced here (found by the random test).
  const isAllPositive = leafWeight.every((w) => w >= 0);
  if (isBinaryCase && isAllPositive && (attribute(node, 'post_transform')?.s || 'NONE') !== 'NONE') {
    throw new UnsupportedModel('TreeEnsembleClassifier with one class weighted, all weights positive, and a post_transform');
  }
  const missing = ints(node, 'nodes_missing_value_tracks_true');
  return {
    isClassifier,
    width,
    aggregate: (attribute(node, 'aggregate_function')?.s || 'SUM') as Aggregate,
    postTransform: (attribute(node, 'post_transform')?.s || 'NONE') as PostTransform,
    baseValues: Float32Array.from(floats(node, 'base_values')),
    roots: Int32Array.from(roots),
    feature: Int32Array.from(ints(node, 'nodes_featureids')),
    threshold: Float64Array.from(Float32Array.from(floats(node, 'nodes_values'))),
    mode: modes,
    isMissingTrue: Uint8Array.from(missing.length === count ? missing : new Array<number>(count).fill(0), (m) => (m === 1 ? 1 : 0)),
    trueNext,
    falseNext,
    leafStart: Int32Array.from(leafStart),
    leafTarget: Int32Array.from(leafTarget),
    leafWeight: Float32Array.from(leafWeight),
    isAllLeq: modes.every((m) => m === 0 || m === LEAF),
    isBinaryCase,
    isAllPositive,
    classLabels,
  };
}
