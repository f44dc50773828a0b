/**
 * One chunk, start to end: parse its bytes, build the tensors, run every model, and format the predictions
 * and rejects. The workers call it, and so does the sequential baseline, so both do exactly the same work.
 */

import * as ort from 'onnxruntime-node';
import { describeError } from '../errors.js';
import type { LoadedModel } from '../model/model-session.js';
import { allocateLike, findNonFiniteRows, formatRows, withoutRows, type ColumnSource, type OutputValues } from './format/format-chunk.js';
import { formatReject } from './format/format-rows.js';
import { parseCsvChunkFast } from './parse/fast-csv.js';
import { parseCsvChunk, parseNdjsonChunk, privateCopy, type ParsedChunk } from './parse/parse-chunk.js';
import { releaseScratch, takeScratch, type Scratch } from './parse/scratch.js';
import type { ScoringPlan } from '../model/scoring-plan.js';
import type { TensorArray } from '../model/tensor-arrays.js';
import { RemoteRejected, RemoteUnavailable } from '../remote/v2-client.js';

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
  /** inferMs per model, by the manifest's model names (for --metrics-file). */
  inferMsByModel?: Record<string, number>;
  /** With --endpoint: time in inference requests, and the server's own time, for this chunk. */
  networkMs: number;
  serverMs: number;
  /** With --endpoint: requests sent for this chunk, and their extra tries. */
  requests: number;
  requestRetries: number;
  /** With --endpoint: why the server refused this chunk's rows (they are rejects), when it did. */
  serverRefusal?: string;
}

/** A chunk's result as the main thread receives it from a worker (or makes it, for rows rejected there). */
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


const encoder = new TextEncoder();

/**
 * `rows` rows of `width` values in a new array of `callRows` rows, the last real row repeated below them: the
 * call a model with a fixed batch size must get when fewer rows are left. Repeating a real row keeps the pad
 * within values the model is known to take (zeros might not be); the pad rows' outputs are dropped.
 */
export function padRows<T extends TensorArray>(values: T, rows: number, width: number, callRows: number): T {
  const padded = new (values.constructor as new (length: number) => T)(callRows * width);
  padded.set(values.subarray(0, rows * width) as never, 0);
  for (let row = rows; row < callRows; row++) padded.copyWithin(row * width, (rows - 1) * width, rows * width);
  return padded;
}

/** One call's rows: [from, from + count), fed as `callRows` rows (more when a fixed batch size pads the last). */
interface ModelCall {
  from: number;
  count: number;
  callRows: number;
}

/**
 * How a chunk's rows are cut into calls. Locally in slices of `batchRows`, because a whole chunk's activations do
 * not fit the caches (see DEFAULT_BATCH_ROWS); against a server into `requestsPerChunk` requests sent at once,
 * because a request mostly waits. A model with a fixed batch size gets calls of exactly that many rows, the last
 * one padded. A model sees every row on its own either way, so cutting changes no prediction.
 */
function planCalls(rows: number, batchSize: number | undefined, step: number): ModelCall[] {
  const calls: ModelCall[] = [];
  const size = batchSize ?? Math.max(1, step);
  for (let from = 0; from < rows; from += size) {
    const count = Math.min(size, rows - from);
    calls.push({ from, count, callRows: batchSize ?? count });
  }
  return calls;
}

/**
 * Runs `task` on every item, at most `limit` at once; the results in the items' order. After a failure no item
 * starts, and the first failure is thrown once every running task has settled: nothing outlives the chunk.
 */
async function mapLimited<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let isFailed = false;
  const lane = async (): Promise<void> => {
    while (next < items.length && !isFailed) {
      const i = next++;
      try {
        results[i] = await task(items[i]!);
      } catch (error) {
        isFailed = true;
        throw error;
      }
    }
  };
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, lane));
  const failure = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
  return results;
}

/** One call of one model: its feeds cut from the chunk's features, and each requested output's values. */
async function runCall(bound: ScoringPlan['models'][number], loaded: LoadedModel, parsed: ParsedChunk, m: number, ranks: number[], call: ModelCall): Promise<OutputValues[]> {
  const { from, count, callRows } = call;
  const feeds: Record<string, ort.Tensor> = {};
  for (let i = 0; i < bound.inputs.length; i++) {
    const input = bound.inputs[i]!;
    const width = input.columns.length;
    const all = parsed.features[m]![i]!;
    const slice = count === parsed.rows ? all : all.subarray(from * width, (from + count) * width);
    const data = callRows === count ? slice : padRows(slice, count, width, callRows);
    feeds[input.name] = new ort.Tensor(input.type, data, ranks[i] === 1 ? [callRows] : [callRows, width]);
  }
  const results = await loaded.session.run(feeds, bound.outputs.map((o) => o.name));
  return bound.outputs.map((output) => {
    const tensor = results[output.name];
    if (tensor === undefined) throw new Error(`model ${bound.path} returned no '${output.name}'`);
    const width = output.columns.length;
    const all = tensor.data as OutputValues;
    if (all.length !== callRows * width) {
      throw new Error(`model ${bound.path}: output '${output.name}' has ${all.length} values for ${callRows} rows, expected ${width} per row`);
    }
    return callRows === count ? all : keepRows(all, count * width);
  });
}

/** Runs one model on the chunk's rows, call by call (see planCalls), and returns each requested output for all rows. */
async function runModel(bound: ScoringPlan['models'][number], loaded: LoadedModel, parsed: ParsedChunk, m: number, batchRows: number): Promise<OutputValues[]> {
  const rows = parsed.rows;
  const ranks = bound.inputs.map((input) => loaded.signature.inputs.find((v) => v.name === input.name)?.shape.length ?? 2);
  const requests = loaded.session.isRemote === true ? Math.max(1, loaded.session.requestsPerChunk ?? 1) : 1;
  const calls = planCalls(rows, bound.batchSize, loaded.session.isRemote === true ? Math.ceil(rows / requests) : batchRows);
  const answers = await mapLimited(calls, requests, (call) => runCall(bound, loaded, parsed, m, ranks, call));
  if (answers.length === 1) return answers[0]!;
  return bound.outputs.map((output, o) => {
    const width = output.columns.length;
    const target = allocateLike(answers[0]![o]!, rows * width);
    for (const [c, call] of calls.entries()) {
      const values = answers[c]![o]!;
      if (target.set !== undefined) target.set(values, call.from * width);
      else for (let k = 0; k < values.length; k++) (target as (number | bigint)[])[call.from * width + k] = values[k]!;
    }
    return target;
  });
}

/** The first `length` values: the real rows of a padded call. */
function keepRows(values: OutputValues, length: number): OutputValues {
  return ArrayBuffer.isView(values) ? (values as unknown as TensorArray).subarray(0, length) : Array.prototype.slice.call(values, 0, length);
}

/**
 * A threshold's flag per row (1 when the column's value is above it). A function of its own: inline, its per-row
 * loop made the whole of runModels hot, and V8 then spent 8-12 ms per worker thread compiling that async
 * function during the timed work.
 */
function thresholdFlags(source: ColumnSource, rows: number, above: number): Uint8Array {
  const flags = new Uint8Array(rows);
  const { values, width, offset } = source;
  for (let row = 0; row < rows; row++) flags[row] = Number(values[row * width + offset]) > above ? 1 : 0;
  return flags;
}

async function runModels(parsed: ParsedChunk, plan: ScoringPlan, models: readonly LoadedModel[], msByModel: Record<string, number>): Promise<ColumnSource[]> {
  const columns: ColumnSource[] = [];
  for (let m = 0; m < plan.models.length; m++) {
    const bound = plan.models[m]!;
    const loaded = models.find((model) => model.path === bound.path);
    if (loaded === undefined) throw new Error(`model ${bound.path} is not loaded in this worker`);
    const modelStart = columns.length;
    const start = performance.now();
    const outputs = await runModel(bound, loaded, parsed, m, plan.batchRows);
    msByModel[bound.name] = (msByModel[bound.name] ?? 0) + performance.now() - start;
    for (let o = 0; o < bound.outputs.length; o++) {
      const values = outputs[o]!;
      const width = bound.outputs[o]!.columns.length;
      const isFloat32 = values instanceof Float32Array;
      const names = bound.outputs[o]!.columns;
      for (let c = 0; c < width; c++) columns.push({ values, width, offset: c, isFlag: false, isFloat32, model: bound.name, column: names[c]!, keepsNonFinite: bound.keepsNonFinite });
    }
    for (const threshold of bound.thresholds) {
      // The flag reads the output column it names, which is already among this model's columns.
      const source = columns[modelStart + bound.outputs.flatMap((o) => o.columns).indexOf(threshold.column)]!;
      columns.push({ values: thresholdFlags(source, parsed.rows, threshold.above), width: 1, offset: 0, isFlag: true, isFloat32: false, model: bound.name, column: threshold.flag, keepsNonFinite: true });
    }
  }
  return columns;
}

export async function scoreChunk(chunk: Uint8Array, firstLine: number, plan: ScoringPlan, models: readonly LoadedModel[]): Promise<ScoredChunk> {
  const scratch = takeScratch();
  try {
    return await scoreChunkWith(scratch, chunk, firstLine, plan, models);
  } finally {
    releaseScratch(scratch);
  }
}

async function scoreChunkWith(scratch: Scratch, chunk: Uint8Array, firstLine: number, plan: ScoringPlan, models: readonly LoadedModel[]): Promise<ScoredChunk> {
  const parseStart = performance.now();
  // The fast CSV path reads shared memory as it is (its scanner copies the chunk into its own memory); the
  // JavaScript parsers read a private copy.
  const parsed =
    plan.inputFormat === 'ndjson'
      ? parseNdjsonChunk(privateCopy(chunk), firstLine, plan, scratch)
      : plan.parser === 'fast'
        ? parseCsvChunkFast(chunk, firstLine, plan, scratch)
        : parseCsvChunk(privateCopy(chunk), firstLine, plan, scratch);
  const inferStart = performance.now();
  const inferMsByModel: Record<string, number> = {};
  let output: Uint8Array = new Uint8Array(0);
  let rejects = parsed.rejects.join('');
  let rowsOut = parsed.rows;
  let serverRefusal: string | undefined;
  if (parsed.rows > 0) {
    try {
      const columns = await runModels(parsed, plan, models, inferMsByModel);
      const nonFinite = findNonFiniteRows(columns, parsed.rows);
      if (nonFinite.size === 0) {
        output = formatRows(parsed, plan, columns);
      } else {
        const kept = withoutRows(parsed, columns, nonFinite);
        output = formatRows(kept.rows, plan, kept.columns);
        for (const [row, reason] of [...nonFinite].sort((a, b) => a[0] - b[0])) rejects += formatReject(parsed.lines[row]!, reason, parsed.recordOf(row));
        rowsOut = kept.rows.rows;
      }
    } catch (error) {
      // A server that cannot be reached is the run's problem, not this chunk's rows'; a chunk the pool gave up on
      // (see flagNativeCalls in pool/worker.ts) fails as a whole, and the pool rejects its rows with its reason.
      if (error instanceof RemoteUnavailable || (error as Error).name === 'ChunkAbandoned') throw error;
      // The runtime refused this chunk (for example a value a model cannot take): its rows become rejects,
      // and the rest of the snapshot is still scored.
      const reason = `inference failed: ${describeError(error)}`;
      if (error instanceof RemoteRejected) serverRefusal = describeError(error);
      for (let row = 0; row < parsed.rows; row++) rejects += formatReject(parsed.lines[row]!, reason, parsed.recordOf(row));
      rowsOut = 0;
      output = new Uint8Array(0);
    }
  }
  const inferEnd = performance.now();
  const remote = { networkMs: 0, serverMs: 0, requests: 0, requestRetries: 0 };
  for (const model of models) {
    const timing = model.session.takeTiming?.();
    remote.networkMs += timing?.networkMs ?? 0;
    remote.serverMs += timing?.serverMs ?? 0;
    remote.requests += timing?.requests ?? 0;
    remote.requestRetries += timing?.retries ?? 0;
  }
  return {
    ...remote,
    ...(serverRefusal === undefined ? {} : { serverRefusal }),
    rowsIn: parsed.rowsIn,
    rowsOut,
    rowsRejected: parsed.rowsIn - rowsOut,
    // Each result owns its ArrayBuffers (a small Buffer may share Node's pool, which must never be transferred).
    output,
    rejects: encoder.encode(rejects),
    parseMs: inferStart - parseStart,
    inferMs: inferEnd - inferStart,
    inferMsByModel,
  };
}
