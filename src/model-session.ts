/**
 * ONNX Runtime sessions: created once per worker (or once in the main thread for the sequential baseline)
 * and kept for the whole run.
 */

import * as ort from 'onnxruntime-node';
import { BatchInferError } from './errors.js';
import type { ModelSignature, ValueSignature } from './plan.js';

export interface LoadedModel {
  path: string;
  session: ort.InferenceSession;
  signature: ModelSignature;
}

// One thread per session: the pool supplies the parallelism, and sessions that each spread over every core
// fight each other for them.
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  enableMemPattern: false,
};

function describeValues(values: readonly ort.InferenceSession.ValueMetadata[]): ValueSignature[] {
  return values.map((value) =>
    value.isTensor ? { name: value.name, type: value.type, shape: [...value.shape] } : { name: value.name, type: 'non-tensor', shape: [] },
  );
}

export async function loadModel(model: { name: string; path: string }): Promise<LoadedModel> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model.path, SESSION_OPTIONS);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BatchInferError('MODEL_LOAD', `model ${model.path}: cannot load: ${reason.replace(/\s*\n\s*/g, ' ')}`);
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
export function loadModels(models: readonly { name: string; path: string }[]): Promise<LoadedModel[]> {
  return Promise.all(models.map(loadModel));
}

export async function releaseModels(models: readonly LoadedModel[]): Promise<void> {
  await Promise.all(models.map((model) => model.session.release()));
}
