/**
 * Compiles an ONNX graph of tree ensembles and the per-row ops around them into a list of steps over whole
 * tensors, with the fused forest kernel (fuse-forest.ts) where the graph allows it. Throws UnsupportedModel
 * naming the first op it cannot run.
 */

import { compileNode, compileTrees, type Env, type Step } from './graph-ops.js';
import { readOnnx, type GraphValue, type OnnxGraph, type OnnxNode } from './read-onnx.js';
import { fusedStep, mergeTrees, tabulateTree, type GraphIndex, type TabulatedTree } from './fuse-forest.js';
import type { ForestPlan } from './forest-plan.js';
import { numeric, type Value } from './values.js';
import { UnsupportedModel } from './unsupported.js';

export interface CompiledGraph {
  inputs: GraphValue[];
  outputs: GraphValue[];
  /**
   * Trees the engine walks faster than onnxruntime (docs/performance.md): those fused into one loop
   * (fuse-forest.ts), and those of a one-target sum walked in WebAssembly (score-trees.ts makeTreeWalk).
   */
  fastTrees: number;
  /** The fused forests, for the cache (forest-plan.ts). */
  plan: ForestPlan;
  run(feeds: Env, outputs: readonly string[]): Env;
}

const ML_OPS = new Set(['TreeEnsembleRegressor', 'TreeEnsembleClassifier', 'LabelEncoder']);

function readConstants(graph: OnnxGraph): Env {
  const constants: Env = new Map(graph.initializers);
  for (const node of graph.nodes) {
    if (node.opType !== 'Constant') continue;
    const a = node.attributes;
    const value: Value | undefined =
      a.get('value')?.t ??
      (a.has('value_float') ? { type: 'float32', dims: [], data: Float32Array.of(a.get('value_float')!.f) } : undefined) ??
      (a.has('value_int') ? { type: 'int64', dims: [], data: Float64Array.of(a.get('value_int')!.i) } : undefined) ??
      (a.has('value_ints') ? { type: 'int64', dims: [a.get('value_ints')!.ints.length], data: Float64Array.from(a.get('value_ints')!.ints) } : undefined) ??
      (a.has('value_floats') ? { type: 'float32', dims: [a.get('value_floats')!.floats.length], data: Float32Array.from(a.get('value_floats')!.floats) } : undefined);
    if (value === undefined) throw new UnsupportedModel('Constant of that kind');
    constants.set(node.outputs[0]!, value);
  }
  return constants;
}

function checkOps(graph: OnnxGraph): void {
  for (const node of graph.nodes) {
    if (node.domain === 'ai.onnx.ml' && !ML_OPS.has(node.opType)) throw new UnsupportedModel(`ai.onnx.ml.${node.opType}`);
  }
  const mlOpset = graph.opsets.get('ai.onnx.ml');
  if (mlOpset !== undefined && mlOpset > 4) throw new UnsupportedModel(`ai.onnx.ml opset ${mlOpset}`);
}

/** A tree reading Gather(x, constant indices, axis 1) reads x directly, its features renumbered. */
function readThroughGather(tree: TabulatedTree, producers: Map<string, OnnxNode>, constants: Env): TabulatedTree {
  const gather = producers.get(tree.input);
  if (gather?.opType !== 'Gather' || (gather.attributes.get('axis')?.i ?? 0) !== 1) return tree;
  const indices = constants.get(gather.inputs[1]!);
  if (indices === undefined || indices.dims.length !== 1) return tree;
  const at = numeric(indices);
  const feature = Int32Array.from(tree.ensemble.feature, (k) => at[k] ?? -1);
  if (feature.some((k) => k < 0)) return tree;
  return { ...tree, input: gather.inputs[0]!, ensemble: { ...tree.ensemble, feature } };
}

interface Fused {
  steps: Map<OnnxNode, Step>;
  /** The tensor each fused step reads. */
  inputs: Map<OnnxNode, string>;
  replaced: Set<OnnxNode>;
  plan: ForestPlan;
}

/** Finds Sum nodes over tabulated one-tree chains reading one input, and makes each one step. */
export function fuseForests(graph: OnnxGraph, constants: Env): Fused {
  const consumers = new Map<string, OnnxNode[]>();
  const producers = new Map<string, OnnxNode>();
  for (const node of graph.nodes) {
    for (const name of node.inputs) {
      const list = consumers.get(name);
      if (list === undefined) consumers.set(name, [node]);
      else list.push(node);
    }
    for (const name of node.outputs) producers.set(name, node);
  }
  const index: GraphIndex = { consumers, outputs: new Set(graph.outputs.map((o) => o.name)), position: new Map(graph.nodes.map((node, i) => [node, i])) };
  const fused: Fused = { steps: new Map(), inputs: new Map(), replaced: new Set(), plan: { fused: [], replaced: [] } };
  if (!graph.nodes.some((node) => node.opType === 'Sum')) return fused;
  // Each one-tree regressor's chain, by the tensor it ends in.
  const chains = new Map<string, TabulatedTree>();
  for (const node of graph.nodes) {
    const tabulated = node.opType === 'TreeEnsembleRegressor' ? tabulateTree(node, index, constants) : undefined;
    if (tabulated !== undefined) chains.set(tabulated.output, readThroughGather(tabulated, producers, constants));
  }
  for (const sum of graph.nodes) {
    if (sum.opType !== 'Sum' || sum.inputs.length < 2) continue;
    const trees = sum.inputs.map((name) => chains.get(name));
    const first = trees[0];
    if (first === undefined || trees.some((t) => t === undefined || t.input !== first.input || t.type !== first.type)) continue;
    const forest = mergeTrees(trees as TabulatedTree[], first.input, sum.outputs[0]!);
    fused.steps.set(sum, fusedStep(forest));
    fused.inputs.set(sum, first.input);
    fused.plan.fused.push({ sum: index.position.get(sum)!, forest });
    for (const tree of trees) for (const node of tree!.nodes) fused.replaced.add(node);
  }
  fused.plan.replaced = [...fused.replaced].map((node) => index.position.get(node)!).sort((a, b) => a - b);
  return fused;
}

/** The fused steps a cached plan describes; throws when the plan does not fit this graph. */
function applyPlan(graph: OnnxGraph, plan: ForestPlan): Fused {
  const nodeAt = (i: number): OnnxNode => {
    const node = graph.nodes[i];
    if (node === undefined) throw new Error(`forest plan names node ${i} of ${graph.nodes.length}`);
    return node;
  };
  const fused: Fused = { steps: new Map(), inputs: new Map(), replaced: new Set(plan.replaced.map(nodeAt)), plan };
  for (const { sum, forest } of plan.fused) {
    const node = nodeAt(sum);
    if (node.opType !== 'Sum' || node.outputs[0] !== forest.output || fused.replaced.has(node)) throw new Error(`forest plan: node ${sum} is not the fused Sum`);
    fused.steps.set(node, fusedStep(forest));
    fused.inputs.set(node, forest.input);
  }
  return fused;
}

/** The nodes needed for the graph's outputs, in graph order (a fused Sum stands for its trees' chains). */
function neededNodes(graph: OnnxGraph, fused: Fused): OnnxNode[] {
  const producers = new Map<string, OnnxNode>();
  for (const node of graph.nodes) for (const name of node.outputs) producers.set(name, node);
  const needed = new Set<OnnxNode>();
  const stack = graph.outputs.map((output) => producers.get(output.name));
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === undefined || needed.has(node) || node.opType === 'Constant') continue;
    needed.add(node);
    const reads = fused.steps.has(node) ? [] : node.inputs;
    for (const name of reads) stack.push(producers.get(name));
    const fusedInput = fused.steps.has(node) ? fusedInputOf(node, fused) : undefined;
    if (fusedInput !== undefined) stack.push(producers.get(fusedInput));
  }
  return graph.nodes.filter((node) => needed.has(node));
}

const TREE_OPS = new Set(['TreeEnsembleRegressor', 'TreeEnsembleClassifier']);

/** Each needed node's step, and the trees walked in WebAssembly outside the fused forests. */
function compileSteps(nodes: OnnxNode[], fused: Fused): { steps: Step[]; walkedTrees: number } {
  let walkedTrees = 0;
  const steps = nodes.map((node) => {
    const fusedStep = fused.steps.get(node);
    if (fusedStep !== undefined) return fusedStep;
    if (node.domain !== 'ai.onnx.ml' || !TREE_OPS.has(node.opType)) return compileNode(node);
    const trees = compileTrees(node);
    walkedTrees += trees.walkedTrees;
    return trees.step;
  });
  return { steps, walkedTrees };
}

function fusedInputOf(node: OnnxNode, fused: Fused): string | undefined {
  return fused.inputs.get(node);
}

/**
 * Compiles a model's bytes; throws UnsupportedModel naming what it cannot run. With a cached plan of its fused
 * forests (forest-plan.ts) the replaced nodes are not decoded beyond their op type, and the forests are not fused
 * again; a plan that does not fit the graph throws.
 */
export function compileGraph(bytes: Uint8Array, plan?: ForestPlan): CompiledGraph {
  const graph = readOnnx(bytes, plan === undefined ? undefined : new Set(plan.replaced));
  checkOps(graph);
  const constants = readConstants(graph);
  const fused = plan === undefined ? fuseForests(graph, constants) : applyPlan(graph, plan);
  const { steps, walkedTrees } = compileSteps(neededNodes(graph, fused), fused);
  return {
    inputs: graph.inputs,
    outputs: graph.outputs,
    fastTrees: [...fused.replaced].filter((node) => node.opType === 'TreeEnsembleRegressor').length + walkedTrees,
    plan: fused.plan,
    run(feeds, outputs) {
      const env: Env = new Map(constants);
      for (const [name, value] of feeds) env.set(name, value);
      for (const step of steps) step(env);
      return new Map(outputs.map((name) => [name, env.get(name)!]));
    },
  };
}
