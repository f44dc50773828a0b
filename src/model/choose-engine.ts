/**
 * Which engine scores each model (main thread, once per run): onnxruntime, or the compiled tree-ensemble engine
 * (src/model/compiled/) when it can run the model's every op and its proof against onnxruntime passed. The
 * manifest's per-model "engine" overrides --engine; with auto, a tree model the engine cannot run or did not
 * prove goes to onnxruntime with one line saying why (a model without trees, silently). With auto, a model left
 * on onnxruntime whose file holds subnormal weights gets them flushed to zero when a proof shows that no
 * prediction changes (prove-flush.ts); --engine onnxruntime runs every file as it is.
 */

import { readFileSync } from 'node:fs';
import { BatchInferError, describeError } from '../errors.js';
import type { Manifest, ManifestModel } from './manifest.js';
import type { CompiledGraph } from './compiled/compile-graph.js';

export type EngineChoice = 'auto' | 'onnxruntime' | 'compiled';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'onnxruntime', 'compiled'];
export type Engine = 'onnxruntime' | 'compiled';

type EngineModel = Pick<ManifestModel, 'name' | 'path' | 'engine'>;

export interface EngineDecision {
  engine: Engine;
  /** Why, in a few words (inspect prints it; a fallback's notice names it). */
  reason: string;
  isFallback: boolean;
  /** On onnxruntime: the SHA-256 of the bytes whose subnormal weights are flushed (see prove-flush.ts). */
  flushedFor?: string;
}

const TREE_ENSEMBLE = Buffer.from('TreeEnsemble');

/**
 * Whether the model has a tree ensemble at all: only then is onnxruntime a fallback worth a line. An op type is a
 * protobuf string, stored as its UTF-8 bytes: a model whose bytes never spell it has none (no decoding needed).
 */
function hasTreeEnsemble(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(TREE_ENSEMBLE);
}

/** Compiles a model, or says why it cannot; throws a config error when `compiled` was required. */
async function tryCompile(model: EngineModel, bytes: Uint8Array, requested: EngineChoice): Promise<CompiledGraph | EngineDecision> {
  // Loaded only here: protobufjs and the ONNX schema cost a cold run about 60 ms, for models that never need them.
  const { compileGraph } = await import('./compiled/compile-graph.js');
  const { UnsupportedModel } = await import('./compiled/unsupported.js');
  try {
    return compileGraph(bytes);
  } catch (error) {
    const what = error instanceof UnsupportedModel ? `op ${error.message} is not supported by the compiled engine` : `the compiled engine cannot read it: ${describeError(error)}`;
    if (requested === 'compiled') throw new BatchInferError('CONFIG_INVALID', `model ${model.name}: engine 'compiled' cannot run it: ${what}`);
    return { engine: 'onnxruntime', reason: what, isFallback: hasTreeEnsemble(bytes) };
  }
}

export async function decideEngine(model: EngineModel, option: EngineChoice, isProofRun = true): Promise<EngineDecision> {
  const requested = model.engine ?? option;
  if (requested === 'onnxruntime') return { engine: 'onnxruntime', reason: `${model.engine === undefined ? '--engine' : 'manifest'} onnxruntime`, isFallback: false };
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(model.path);
  } catch {
    return { engine: 'onnxruntime', reason: 'model file unreadable', isFallback: false };
  }
  const decision = await decideTreeEngine(model, bytes, requested, isProofRun);
  return decision.engine === 'onnxruntime' && requested === 'auto' && isProofRun ? withFlushedWeights(decision, bytes) : decision;
}

/** Whether the compiled tree engine runs the model (see the module's comment). */
async function decideTreeEngine(model: EngineModel, bytes: Uint8Array, requested: EngineChoice, isProofRun: boolean): Promise<EngineDecision> {
  if (requested === 'auto' && !hasTreeEnsemble(bytes)) return { engine: 'onnxruntime', reason: 'no tree ensemble', isFallback: false };
  const { proveEngine, readCachedProof } = await import('./compiled/prove-engine.js');
  // A model proved before need not be compiled here (about 190 ms for the IsolationForest): the workers do it.
  const cached = isProofRun ? readCachedProof(bytes) : undefined;
  if (cached !== undefined && !(requested === 'auto' && cached.fastTrees === 0)) return decideProved(cached.detail, true, 0);
  const compiled = await tryCompile(model, bytes, requested);
  if ('engine' in compiled) return compiled;
  // Measured (docs/performance.md): the engine wins where it fuses many one-tree nodes and the ops between them,
  // or walks a one-target sum in WebAssembly; on other ensembles (classifiers, missing-value tracking, other
  // split modes) onnxruntime's own kernel is as fast or faster.
  if (requested === 'auto' && compiled.fastTrees === 0) return { engine: 'onnxruntime', reason: 'no trees the engine walks faster: onnxruntime is as fast or faster', isFallback: false };
  if (!isProofRun) return { engine: 'compiled', reason: 'every op supported (not yet proved)', isFallback: false };
  const proof = await proveEngine(bytes, compiled);
  return decideProved(proof.detail, proof.isCached, proof.ms);
}

/** An onnxruntime decision with the model's subnormal weights flushed, when it has some and their proof passed. */
async function withFlushedWeights(decision: EngineDecision, bytes: Uint8Array): Promise<EngineDecision> {
  const { proveFlush } = await import('./prove-flush.js');
  const verdict = await proveFlush(bytes);
  if (verdict.flushed === 0) return decision;
  const weights = `${verdict.flushed} subnormal weight${verdict.flushed === 1 ? '' : 's'}`;
  if (verdict.detail !== '') return { ...decision, reason: `${decision.reason}; ${weights} kept as they are (flushed, they change the proof sample: ${verdict.detail})` };
  const proof = verdict.isCached ? 'proof cached' : `proof passed in ${Math.round(verdict.ms)} ms`;
  return { ...decision, reason: `${decision.reason}; ${weights} flushed to zero, ${proof}`, flushedFor: verdict.sha };
}

function decideProved(detail: string, isCached: boolean, ms: number): EngineDecision {
  if (detail !== '') return { engine: 'onnxruntime', reason: `compiled engine differs from onnxruntime on the proof sample: ${detail}`, isFallback: true };
  return { engine: 'compiled', reason: `every op supported, proof ${isCached ? 'cached' : `passed in ${Math.round(ms)} ms`}`, isFallback: false };
}

/** The manifest with each model's engine decided; one notice per model sent to onnxruntime by a fallback. */
export async function resolveEngines(manifest: Manifest, option: EngineChoice, notice: (message: string) => void): Promise<Manifest> {
  const models: ManifestModel[] = [];
  for (const model of manifest.models) {
    const decision = await decideEngine(model, option);
    if (decision.isFallback) notice(`model ${model.name}: runs on onnxruntime: ${decision.reason}`);
    models.push({ ...model, engine: decision.engine, ...(decision.flushedFor === undefined ? {} : { flushedFor: decision.flushedFor }) });
  }
  return { ...manifest, models };
}
