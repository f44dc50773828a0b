/**
 * ONNX Runtime sessions: created once per worker (or once in the main thread for the sequential baseline)
 * and kept for the whole run.
 */

import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { CompiledGraph } from './compiled/compile-graph.js';
import { BatchInferError, describeError } from '../errors.js';
import type { ModelSetup, ModelSignature, ValueSignature } from './signature.js';
import { RemoteRunner, type RemoteTiming } from '../remote/remote-runner.js';
import { applyRuntimeDefaults, nativeLogLevel, nativeLogSeverity } from './runtime-environment.js';

/** What scoring needs of a model: an onnxruntime session, or a RemoteRunner for --endpoint. */
export interface ModelRunner {
  run(feeds: Record<string, ort.Tensor>, outputNames: readonly string[]): Promise<Record<string, { data: unknown } | undefined>>;
  release(): Promise<void>;
  takeTiming?(): RemoteTiming;
  /** A server: a chunk's rows go in `requestsPerChunk` requests sent at once, since each call mostly waits. */
  readonly isRemote?: boolean;
  readonly requestsPerChunk?: number;
}

export interface LoadedModel {
  path: string;
  session: ModelRunner;
  signature: ModelSignature;
}

applyRuntimeDefaults();
const LOG_LEVEL = nativeLogLevel();
ort.env.logLevel = LOG_LEVEL;

// One thread per session: the pool supplies the parallelism, and sessions that each spread over every core
// fight each other for them. The proofs (prove-engine.ts, prove-flush.ts) create theirs with the same options.
export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  enableMemPattern: false,
  logSeverityLevel: nativeLogSeverity(LOG_LEVEL),
};

function describeValues(values: readonly ort.InferenceSession.ValueMetadata[]): ValueSignature[] {
  return values.map((value) =>
    value.isTensor ? { name: value.name, type: value.type, shape: [...value.shape] } : { name: value.name, type: 'non-tensor', shape: [] },
  );
}

function tryPlan<T>(withPlan: () => T, without: () => T): T {
  try {
    return withPlan();
  } catch {
    return without();
  }
}

/** The compiled engine (see choose-engine.ts): the graph read and compiled in this thread, no onnxruntime session. */
async function loadCompiled(model: ModelSetup): Promise<LoadedModel> {
  // Imported here: a worker with no compiled model does not load protobufjs, the ONNX schema or the wasm kernel.
  const { compileGraph } = await import('./compiled/compile-graph.js');
  const { CompiledRunner } = await import('./compiled/compiled-runner.js');
  const { readCachedPlan } = await import('./compiled/prove-engine.js');
  let graph: CompiledGraph;
  try {
    const bytes = readFileSync(model.path);
    // The fused forests as the proof cached them (forest-plan.ts), else fused here; a plan that does not fit is
    // ignored.
    const plan = readCachedPlan(bytes);
    graph = plan === undefined ? compileGraph(bytes) : tryPlan(() => compileGraph(bytes, plan), () => compileGraph(bytes));
  } catch (error) {
    throw new BatchInferError('MODEL_LOAD', `model ${model.path}: cannot compile: ${describeError(error)}`);
  }
  const describe = (values: CompiledGraph['inputs']) => values.map((v) => ({ name: v.name, type: v.type ?? 'non-tensor', shape: v.shape }));
  return { path: model.path, session: new CompiledRunner(graph), signature: { name: model.name, path: model.path, inputs: describe(graph.inputs), outputs: describe(graph.outputs) } };
}

/**
 * What onnxruntime loads: the file, or a copy of its bytes with the subnormal weights flushed when the main thread
 * proved that safe for exactly these bytes (prove-flush.ts). A file changed since then is loaded as it is.
 */
async function sessionSource(model: ModelSetup): Promise<string | Uint8Array> {
  if (model.flushedFor === undefined) return model.path;
  const { sha256 } = await import('./proof-cache.js');
  const { flushSubnormalWeights } = await import('./subnormal-weights.js');
  const bytes = readFileSync(model.path);
  return sha256(bytes) === model.flushedFor ? (flushSubnormalWeights(bytes)?.bytes ?? model.path) : model.path;
}

export async function loadModel(model: ModelSetup): Promise<LoadedModel> {
  if (model.remote !== undefined) return { path: model.path, session: new RemoteRunner(model.remote), signature: model.remote.signature };
  if (model.engine === 'compiled') return loadCompiled(model);
  let session: ort.InferenceSession;
  try {
    const source = await sessionSource(model);
    session = typeof source === 'string' ? await ort.InferenceSession.create(source, SESSION_OPTIONS) : await ort.InferenceSession.create(source, SESSION_OPTIONS);
  } catch (error) {
    throw new BatchInferError('MODEL_LOAD', `model ${model.path}: cannot load: ${describeError(error)}`);
  }
  return {
    path: model.path,
    session,
    signature: {
      name: model.name,
      path: model.path,
      inputs: describeValues(session.inputMetadata),
      outputs: describeValues(session.outputMetadata),
    },
  };
}

/** Loads every model of a run, in parallel. */
export function loadModels(models: readonly ModelSetup[]): Promise<LoadedModel[]> {
  return Promise.all(models.map(loadModel));
}

export async function releaseModels(models: readonly LoadedModel[]): Promise<void> {
  await Promise.all(models.map((model) => model.session.release()));
}
