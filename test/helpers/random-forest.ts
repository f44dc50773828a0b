/**
 * Random tree-ensemble models as ONNX bytes, written through onnx-proto (the package the engine reads them
 * with): random modes, thresholds on a small grid (so that inputs tie with them), missing-value tracking,
 * aggregates, post-transforms, targets or classes, base values.
 */

import onnxProto from 'onnx-proto';
import { MODES } from '../../src/model/compiled/tree-ensemble.js';

const { onnx } = onnxProto;
const A = onnx.AttributeProto.AttributeType;
const text = new TextEncoder();

export interface RandomForest {
  bytes: Uint8Array;
  features: number;
  /** What was drawn, for a failure message. */
  summary: string;
  grid: number[];
}

const attribute = {
  ints: (name: string, ints: number[]) => ({ name, type: A.INTS, ints }),
  floats: (name: string, floats: number[]) => ({ name, type: A.FLOATS, floats }),
  strings: (name: string, strings: string[]) => ({ name, type: A.STRINGS, strings: strings.map((s) => text.encode(s)) }),
  string: (name: string, s: string) => ({ name, type: A.STRING, s: text.encode(s) }),
  int: (name: string, i: number) => ({ name, type: A.INT, i }),
};

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

interface Nodes {
  tree: number[];
  id: number[];
  feature: number[];
  mode: string[];
  value: number[];
  yes: number[];
  no: number[];
  missing: number[];
  leaves: { tree: number; id: number }[];
}

/** One tree of at most `depth` levels, its nodes numbered in preorder. */
function growTree(random: () => number, tree: number, depth: number, features: number, grid: number[], nodes: Nodes): void {
  let next = 0;
  const grow = (level: number): number => {
    const id = next++;
    const at = nodes.id.length;
    const isLeaf = level >= depth || (level > 0 && random() < 0.3);
    nodes.tree.push(tree);
    nodes.id.push(id);
    nodes.feature.push(isLeaf ? 0 : Math.floor(random() * features));
    nodes.mode.push(isLeaf ? 'LEAF' : pick(random, MODES));
    nodes.value.push(isLeaf ? 0 : pick(random, grid));
    nodes.missing.push(!isLeaf && random() < 0.4 ? 1 : 0);
    nodes.yes.push(0);
    nodes.no.push(0);
    if (isLeaf) {
      nodes.leaves.push({ tree, id });
      return id;
    }
    nodes.yes[at] = grow(level + 1);
    nodes.no[at] = grow(level + 1);
    return id;
  };
  grow(0);
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]) {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

/** A random TreeEnsembleRegressor or TreeEnsembleClassifier model. */
export function makeRandomForest(random: () => number): RandomForest {
  const features = 1 + Math.floor(random() * 4);
  const grid = Array.from({ length: 6 }, () => Math.fround(Math.round((random() * 8 - 4) * 4) / 4));
  const isClassifier = random() < 0.5;
  const width = isClassifier ? 2 + Math.floor(random() * 3) : 1 + Math.floor(random() * 3);
  const nodes: Nodes = { tree: [], id: [], feature: [], mode: [], value: [], yes: [], no: [], missing: [], leaves: [] };
  const trees = 1 + Math.floor(random() * 5);
  for (let t = 0; t < trees; t++) growTree(random, t, 1 + Math.floor(random() * 4), features, grid, nodes);
  // Binary classifiers often weight one class only (LightGBM, XGBoost): onnxruntime's binary case.
  const weighted = isClassifier && width === 2 && random() < 0.5 ? [1] : Array.from({ length: width }, (_, k) => k);
  const targets = nodes.leaves.flatMap((leaf) => weighted.filter(() => random() < 0.8).map((k) => ({ ...leaf, k, w: Math.fround((random() - (random() < 0.3 ? 0 : 0.5)) * 3) })));
  const aggregate = isClassifier ? 'SUM' : pick(random, ['SUM', 'AVERAGE', 'MIN', 'MAX']);
  // PROBIT, and two classes with two base values, are left to onnxruntime (tree-ensemble.ts says why).
  const transform = pick(random, ['NONE', 'LOGISTIC', 'SOFTMAX', 'SOFTMAX_ZERO']);
  const baseCount = pick(random, isClassifier ? (width === 2 ? [0] : [0, width]) : width === 1 ? [0, 1] : [0, width]);
  const isStrings = isClassifier && random() < 0.3;
  const prefix = isClassifier ? 'class' : 'target';
  const attributes = [
    attribute.ints('nodes_treeids', nodes.tree),
    attribute.ints('nodes_nodeids', nodes.id),
    attribute.ints('nodes_featureids', nodes.feature),
    attribute.strings('nodes_modes', nodes.mode),
    attribute.floats('nodes_values', nodes.value),
    attribute.ints('nodes_truenodeids', nodes.yes),
    attribute.ints('nodes_falsenodeids', nodes.no),
    attribute.ints('nodes_missing_value_tracks_true', nodes.missing),
    attribute.ints(`${prefix}_treeids`, targets.map((t) => t.tree)),
    attribute.ints(`${prefix}_nodeids`, targets.map((t) => t.id)),
    attribute.ints(`${prefix}_ids`, targets.map((t) => t.k)),
    attribute.floats(`${prefix}_weights`, targets.map((t) => t.w)),
    attribute.string('post_transform', transform),
    ...(baseCount > 0 ? [attribute.floats('base_values', Array.from({ length: baseCount }, () => Math.fround(random() * 2 - 1)))] : []),
    ...(isClassifier
      ? [isStrings ? attribute.strings('classlabels_strings', Array.from({ length: width }, (_, k) => `c${k}`)) : attribute.ints('classlabels_int64s', Array.from({ length: width }, (_, k) => k * 3 + 1))]
      : [attribute.int('n_targets', width), attribute.string('aggregate_function', aggregate)]),
  ];
  const outputs = isClassifier ? [valueInfo('label', isStrings ? 8 : 7, ['N']), valueInfo('scores', 1, ['N', width])] : [valueInfo('scores', 1, ['N', width])];
  const node = { opType: isClassifier ? 'TreeEnsembleClassifier' : 'TreeEnsembleRegressor', domain: 'ai.onnx.ml', input: ['x'], output: outputs.map((o) => o.name), attribute: attributes };
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }, { domain: 'ai.onnx.ml', version: 3 }],
    graph: { name: 'random', node: [node], input: [valueInfo('x', 1, ['N', features])], output: outputs },
  });
  const summary = `${node.opType} ${trees} trees, ${features} features, width ${width}, ${aggregate}, ${transform}, base ${baseCount}, weighted ${weighted.join('/')}${isStrings ? ', string labels' : ''}`;
  return { bytes: onnx.ModelProto.encode(model).finish(), features, summary, grid };
}

/** Rows drawn from the thresholds' grid, a little off it, and NaN. */
export function makeRows(random: () => number, forest: RandomForest, rows: number): Float32Array {
  return Float32Array.from({ length: rows * forest.features }, () => {
    const p = random();
    return p < 0.1 ? NaN : p < 0.6 ? pick(random, forest.grid) : Math.fround(random() * 10 - 5);
  });
}
