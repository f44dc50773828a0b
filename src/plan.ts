/**
 * The messages and plain data shared by the main thread and the workers. Nothing here holds a class
 * instance or a function: all of it crosses the thread boundary by structured clone.
 */

export type InputFormat = 'csv' | 'ndjson';
export type OutputFormat = 'csv' | 'ndjson';
import type { Manifest } from './manifest.js';

/** 'fast' reads plain numeric fields straight from bytes and hands anything else to 'reference' (csv-parse). */
export type CsvParser = 'fast' | 'reference';
export type TensorType = 'float32' | 'float64' | 'int64' | 'int32';

export const TENSOR_TYPES: readonly TensorType[] = ['float32', 'float64', 'int64', 'int32'];

/** One model input bound to the input's columns. */
export interface BoundInput {
  name: string;
  type: TensorType;
  columns: string[];
  /** CSV: the field index of each column; NDJSON: unused (columns are keys). */
  fieldIndexes: number[];
  /** Value used for an empty, NaN or infinite feature (for float32: infinite once stored); undefined means such a
   * row is rejected. */
  fill: number | undefined;
}

export interface BoundOutput {
  name: string;
  columns: string[];
}

export interface BoundThreshold {
  column: string;
  above: number;
  flag: string;
}

export interface BoundModel {
  name: string;
  path: string;
  inputs: BoundInput[];
  outputs: BoundOutput[];
  thresholds: BoundThreshold[];
  /**
   * The model's fixed batch dimension, when its inputs have one: every call then has exactly this many rows (the
   * last one padded, see score-chunk.ts). Undefined: any number of rows.
   */
  batchSize: number | undefined;
}

/** Everything a worker needs to turn a chunk's bytes into output bytes. */
export interface ScoringPlan {
  inputFormat: InputFormat;
  outputFormat: OutputFormat;
  parser: CsvParser;
  /** Rows per inference call: a chunk is scored in slices of this many rows (see score-chunk.ts). */
  batchRows: number;
  /** CSV: the number of fields every record must have. */
  fieldCount: number;
  passthrough: { name: string; fieldIndex: number }[];
  models: BoundModel[];
  /** Output column names in order: pass-through columns, then each model's outputs and flags. */
  outputColumns: string[];
}

/** A model served by a V2 inference server (--endpoint) instead of loaded in the worker. */
export interface RemoteModelSetup {
  endpoint: string;
  modelName: string;
  /** The environment variable holding the bearer token; the token itself never travels. */
  tokenEnv: string | undefined;
  timeoutMs: number;
  retries: number;
  isBinary: boolean;
  /** The server's metadata, already checked against the manifest by the main thread. */
  signature: ModelSignature;
  /** The server's replica count, when its metadata says. */
  replicas: number | undefined;
}

export interface ModelSetup {
  name: string;
  path: string;
  remote?: RemoteModelSetup;
}

/** What a worker needs at start: the models to load, once. */
export interface WorkerSetup {
  models: ModelSetup[];
  /** BroadcastChannel name on which threads announce the chunk they start. */
  channel: string;
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

/** One small snapshot of a SnapshotTask, and where its output and rejects go. */
export interface SnapshotFile {
  path: string;
  outputPath: string;
  rejectsPath: string;
}

/**
 * replay's small snapshots, whole and a few at a time: the worker reads each file, scores it and writes its
 * output, so that neither the main thread's per-file work nor a hand-over per file limits a replay of many
 * small files.
 */
export interface SnapshotTask {
  kind: 'snapshots';
  key: number;
  files: SnapshotFile[];
  inputFormat: InputFormat | undefined;
  outputFormat: OutputFormat;
  parser: CsvParser;
  batchRows: number;
  maxRecordBytes: number;
  /** The run's manifest, plain data: the worker binds it to each file's header. */
  manifest: Manifest;
}

export type WorkerTask = ChunkTask | ReadyTask | WarmUpTask | SnapshotTask;

/** What a thread announces when it starts a chunk. */
export interface TaskStarted {
  workerId: number;
  key: number;
}

export interface ValueSignature {
  name: string;
  type: string;
  shape: (number | string)[];
}

export interface ModelSignature {
  name: string;
  path: string;
  inputs: ValueSignature[];
  outputs: ValueSignature[];
}

export interface ReadyResult {
  kind: 'ready';
  ok: true;
  /** The worker's thread id, or its process id with --isolation process. */
  workerId: number;
  loadMs: number;
  signatures: ModelSignature[];
}

/** What scoring one chunk gives, wherever it ran. */
export interface ScoredChunk {
  rowsIn: number;
  rowsOut: number;
  rowsRejected: number;
  /** The chunk's predictions, already formatted, in input order. */
  output: Uint8Array;
  /** The chunk's rejects, formatted as rejects-file lines. */
  rejects: Uint8Array;
  parseMs: number;
  inferMs: number;
  /** With --endpoint: time in inference requests, and the server's own time, for this chunk. */
  networkMs: number;
  serverMs: number;
}

export interface ChunkScored extends ScoredChunk {
  kind: 'chunk';
  ok: true;
  index: number;
  /** The worker's thread id, or its process id with --isolation process; 0 for rows rejected here. */
  workerId: number;
  /** How many times this worker has created its sessions: 1 when models are loaded once. */
  loadCount: number;
  busyMs: number;
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

export interface SnapshotScored {
  kind: 'snapshot';
  ok: true;
  rows: number;
  rowsOut: number;
  rowsRejected: number;
  outputSha256: string;
  /** This file's time in the worker. */
  ms: number;
}

/** The snapshot itself is unusable (unreadable, wrong header): replay reports and skips it. */
export interface SnapshotRefused {
  kind: 'snapshot-refused';
  ok: true;
  message: string;
}

/** A SnapshotTask's files, in its order. */
export interface SnapshotsDone {
  kind: 'snapshots';
  ok: true;
  results: (SnapshotScored | SnapshotRefused)[];
}

export type WorkerResult = ReadyResult | ChunkScored | TaskFailed | WarmedUp | SnapshotsDone;

/** A shape as people read it: symbolic or unnamed dimensions as their name or 'N', unknown ones as '?'. */
/** A tensor's first dimension when it is a fixed number of rows, else undefined (symbolic or unknown). */
export function fixedBatchDimension(value: ValueSignature): number | undefined {
  const first = value.shape[0];
  return typeof first === 'number' && first > 0 ? first : undefined;
}

export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => (typeof d === 'number' ? (d < 0 ? '?' : String(d)) : d === '' ? 'N' : d)).join(', ')}]`;
}
