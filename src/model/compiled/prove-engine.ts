/**
 * The proof that the compiled engine computes what onnxruntime computes for a model: both score the proof
 * sample (proof-sample.ts) and every output must agree within TOLERANCE. Creating the onnxruntime session
 * costs about a second for a graph of thousands of nodes (measured: docs/performance.md), so the proof runs
 * once, in the main thread, and its verdict is cached on disk by the model's SHA-256 and ENGINE_VERSION; the
 * workers then load the compiled engine alone. A model with fused forests also gets its plan cached
 * (forest-plan.ts): the proof runs on the graph rebuilt from the plan's bytes, so what the workers load is what
 * was proved.
 */

import * as ort from 'onnxruntime-node';
import { SESSION_OPTIONS } from '../model-session.js';
import { proofFile, readProofFile, readProofJson, sha256, writeProofFile } from '../proof-cache.js';
import { compileGraph, type CompiledGraph } from './compile-graph.js';
import { CompiledRunner } from './compiled-runner.js';
import { decodePlan, encodePlan, type ForestPlan } from './forest-plan.js';
import { makeProofSample, PROOF_ROWS } from './proof-sample.js';

/**
 * Bumped whenever the engine's arithmetic or what the cache holds changes: older cached proofs no longer count.
 * 3: one-target sums walked in WebAssembly; 4: a passed proof caches the forest plan beside its verdict.
 */
export const ENGINE_VERSION = 4;
/** Largest difference allowed for a float output: relative, or absolute below 1 (about 8 float32 ulps). */
export const TOLERANCE = 1e-6;

export interface ProofResult {
  isProved: boolean;
  /** What differed, for the warning. */
  detail: string;
  isCached: boolean;
  ms: number;
}

export function isWithinTolerance(a: number, b: number): boolean {
  if (a === b || (a !== a && b !== b)) return true;
  return Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(b));
}

/** The first output value that differs, or '' when all agree. */
export function compareOutputs(name: string, expected: ArrayLike<unknown>, actual: ArrayLike<unknown>): string {
  if (expected.length !== actual.length) return `${name}: ${actual.length} values, onnxruntime ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    const isSame = typeof e === 'number' && typeof a === 'number' ? isWithinTolerance(a, e) : e === a;
    if (!isSame) return `${name}[${i}]: ${String(a)}, onnxruntime ${String(e)}`;
  }
  return '';
}

async function runProof(bytes: Uint8Array, graph: CompiledGraph): Promise<string> {
  const input = graph.inputs[0];
  const width = input?.shape[1];
  if (graph.inputs.length !== 1 || input?.type !== 'float32' || input.shape.length !== 2 || typeof width !== 'number') {
    return 'no proof sample for a model whose input is not one [N, K] float32 tensor';
  }
  const rows = makeProofSample(bytes, width);
  const names = graph.outputs.map((o) => o.name);
  const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  try {
    const expected = await session.run({ [input.name]: new ort.Tensor('float32', rows, [PROOF_ROWS, width]) }, names);
    const actual = new CompiledRunner(graph).runNow({ [input.name]: { type: 'float32', dims: [PROOF_ROWS, width], data: rows } }, names);
    for (const name of names) {
      const difference = compareOutputs(name, expected[name]!.data as ArrayLike<unknown>, actual[name]!.data as ArrayLike<unknown>);
      if (difference !== '') return difference;
    }
    return '';
  } finally {
    await session.release();
  }
}

export interface CachedProof {
  /** '' when proved, else what differed. */
  detail: string;
  /** The graph's trees walked faster than onnxruntime (CompiledGraph.fastTrees), so that a cached model need not be compiled to choose. */
  fastTrees: number;
}

/** The cache file of these model bytes with this extension (json: the verdict; plan: the fused forests). */
function cacheFile(sha: string, extension: 'json' | 'plan'): string {
  return proofFile(sha, `v${ENGINE_VERSION}.${extension}`);
}

/** The forest plan cached for these bytes by a passed proof, if any and whole (else the worker fuses again). */
export function readCachedPlan(bytes: Uint8Array): ForestPlan | undefined {
  const plan = readProofFile(cacheFile(sha256(bytes), 'plan'));
  try {
    return plan === undefined ? undefined : decodePlan(plan);
  } catch {
    return undefined;
  }
}

/** The verdict cached for the model bytes with this SHA-256 and this engine version, if any. */
function readVerdict(sha: string): CachedProof | undefined {
  const cached = readProofJson(cacheFile(sha, 'json'));
  return typeof cached?.detail === 'string' && typeof cached.fastTrees === 'number' ? { detail: cached.detail, fastTrees: cached.fastTrees } : undefined;
}

/** The verdict cached for these bytes and this engine version, if any. */
export function readCachedProof(bytes: Uint8Array): CachedProof | undefined {
  return readVerdict(sha256(bytes));
}

/**
 * Proves the compiled graph against onnxruntime, or reads the verdict cached for these bytes. A graph with fused
 * forests is proved as rebuilt from its encoded plan, and the plan is cached when the proof passes.
 */
export async function proveEngine(bytes: Uint8Array, graph: CompiledGraph): Promise<ProofResult> {
  const start = performance.now();
  const sha = sha256(bytes);
  const cached = readVerdict(sha);
  if (cached !== undefined) return { isProved: cached.detail === '', detail: cached.detail, isCached: true, ms: performance.now() - start };
  const plan = graph.plan.fused.length > 0 ? encodePlan(graph.plan) : undefined;
  const detail = await runProof(bytes, plan === undefined ? graph : compileGraph(bytes, decodePlan(plan)));
  // The plan first: a verdict without its plan only costs the workers a fusion; the reverse cannot happen.
  const isPlanWritten = plan === undefined || detail !== '' || writeProofFile(cacheFile(sha, 'plan'), plan);
  const verdict: CachedProof & { rows: number } = { detail, fastTrees: graph.fastTrees, rows: PROOF_ROWS };
  if (isPlanWritten) writeProofFile(cacheFile(sha, 'json'), JSON.stringify(verdict));
  return { isProved: detail === '', detail, isCached: false, ms: performance.now() - start };
}
