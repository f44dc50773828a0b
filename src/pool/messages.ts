/**
 * The messages between the main thread and the pool's workers. Nothing here holds a class instance or a
 * function: all of it crosses the thread boundary by structured clone.
 */

import type { ScoringPlan } from '../model/scoring-plan.js';
import type { ModelSetup, ModelSignature, TensorType } from '../model/signature.js';
import type { TensorArray } from '../model/tensor-arrays.js';
import type { ChunkScored } from '../scoring/score-chunk.js';

/** What a worker needs at start: the models to load, once. */
export interface WorkerSetup {
  models: ModelSetup[];
  /** BroadcastChannel name on which threads announce the chunk they start. */
  channel: string;
  /**
   * Two Int32 slots per thread (at threadId % NATIVE_FLAG_SLOTS): whether it is inside onnxruntime's session.run,
   * and the key of a task the pool gave up on. A thread stopped inside session.run takes the whole process down,
   * so the pool stops only threads outside it, and a thread whose task was given up on does not go back in.
   */
  nativeFlags: SharedArrayBuffer;
}

export interface ChunkTask {
  kind: 'chunk';
  index: number;
  /** 0 for the first try, 1 for the first retry, ... */
  attempt: number;
  /** Unique per submission: matches a thread's announcement to the submission it is working on. */
  key: number;
  firstLine: number;
  bytes: Uint8Array;
  plan: ScoringPlan;
}

export interface ReadyTask {
  kind: 'ready';
}

/** A sample of the run's first rows, scored and thrown away (see warm-up.ts). */
export interface WarmUpTask {
  kind: 'warm-up';
  bytes: Uint8Array;
  plan: ScoringPlan;
  /** The size of the chunks to come, which the worker makes room for after the sample (see warm-up.ts). */
  chunkBytes: number;
}

/** One tensor, as the V2 protocol carries it; `data` is moved across the thread boundary, not copied. */
export interface TensorMessage {
  name: string;
  type: TensorType;
  shape: number[];
  data: TensorArray;
}

/** One model run on given tensors (serve's /v2/models/{name}/infer), not a chunk of rows. */
export interface InferTask {
  kind: 'infer';
  key: number;
  /** 0 for the first try; each retry after its worker was lost counts up (the fault hook's attempt). */
  attempt: number;
  model: string;
  inputs: TensorMessage[];
  /** Outputs to return; empty: all of them. */
  outputs: string[];
}

export type WorkerTask = ChunkTask | ReadyTask | WarmUpTask | InferTask;

/** What a thread announces when it starts a chunk. */
export interface TaskStarted {
  workerId: number;
  key: number;
}

export interface ReadyResult {
  kind: 'ready';
  ok: true;
  /** The worker's thread id, or its process id with --isolation process. */
  workerId: number;
  loadMs: number;
  signatures: ModelSignature[];
}

export interface TaskFailed {
  kind: 'failed';
  ok: false;
  index: number;
  code: 'MODEL_LOAD' | 'WORKER_FAILED' | 'REMOTE_UNAVAILABLE';
  message: string;
}

export interface WarmedUp {
  kind: 'warm-up';
  ok: true;
  /** The worker's thread id, or its process id with --isolation process. */
  workerId: number;
  ms: number;
}

export interface Inferred {
  kind: 'infer';
  ok: true;
  workerId: number;
  outputs: TensorMessage[];
  ms: number;
}

export type WorkerResult = ReadyResult | ChunkScored | TaskFailed | WarmedUp | Inferred;
