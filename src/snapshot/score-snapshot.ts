/**
 * One snapshot through a started pool: open it, bind the manifest to its header, cut it into chunks, fan them
 * out (retrying chunks whose worker failed), write results in input order, and measure it all. `run` scores one
 * snapshot per pool; `replay` scores many through the same pool.
 *
 * Nothing is lost: every record ends as one output row or one reject, including when a chunk fails on every
 * try, when a deadline stops the run, or when a record is longer than the line limit.
 */

import { bindPlan } from '../model/bind-plan.js';
import { BatchInferError, ExitCode } from '../errors.js';
import { decodeHeader } from '../input/read-header.js';
import { openInput, type InputRequest } from '../input/read-input.js';
import { RecordSplitter, type RawChunk } from '../input/split-records.js';
import type { Manifest } from '../model/manifest.js';
import { formatOutputHeader, REJECTS_HEADER } from '../scoring/format/format-rows.js';
import { OrderedWriter } from '../output/ordered-writer.js';
import { flagFile, refuseSharedFiles } from '../output/output-paths.js';
import { openFileSink, openStdoutSink, type OutputSink } from '../output/write-output.js';
import type { CsvParser, OutputFormat, ScoringPlan } from '../model/scoring-plan.js';
import type { ChunkScored } from '../scoring/score-chunk.js';
import { prepareRemoteModels, remoteConcurrency, type RemoteOptions } from '../remote/prepare-remote.js';
import { ChunkFailure, ScoringPool, type Isolation, type PoolStarted } from '../pool/scoring-pool.js';
import { rejectChunk, rejectLine } from '../scoring/reject-chunk.js';
import type { RunTiming } from './timing.js';
import { takeWarmUpSample, warmUpRows } from '../scoring/warm-up.js';

/** Input read and cut ahead while the pool starts, at most. */
const READ_AHEAD_BYTES = 16 << 20;

export interface PoolHandle {
  pool: ScoringPool;
  started: PoolStarted;
  manifest: Manifest;
}

export interface Deadline {
  /** performance.now() value at which the budget runs out. */
  at: number;
  /** 'finish': score everything and report the overrun; 'abort': stop taking chunks, reject the rest. */
  mode: 'finish' | 'abort';
}

export interface SnapshotOptions {
  input: InputRequest;
  outputFormat: OutputFormat;
  parser: CsvParser;
  batchRows: number;
  /** A path, undefined for stdout, or a sink (tests, replay). */
  output: string | OutputSink | undefined;
  rejects: string | OutputSink | undefined;
  chunkSize: number;
  /**
   * Set to the worker count when chunkSize is only a target: a file whose size is known is then cut into
   * chunks of equal rows, as many as a multiple of the workers (see balancedChunkRows).
   */
  balanceFor: number | undefined;
  /** Chunks handed out but not yet written: bounds memory on inputs of any size. */
  maxInFlight: number;
  /** A record longer than this becomes a reject instead of growing without bound. */
  maxRecordBytes: number;
  /** Further tries for a chunk whose worker failed, on a fresh worker. */
  retries: number;
  chunkTimeoutMs: number | undefined;
  compare: boolean;
  /** Warm the hot path up in every worker (and the baseline) with a sample of the first rows. */
  warmUp: boolean;
  deadline: Deadline | undefined;
  /** Aborted when the run must stop now (SIGINT, SIGTERM). */
  signal: AbortSignal | undefined;
}

export interface SnapshotHooks {
  onProgress?: (progress: RunProgress) => void;
  /** Every chunk has been read and handed out (replay starts reading the next snapshot then). */
  onInputRead?: () => void;
  onPhase?: (phase: string, fields: Record<string, unknown>) => void;
}

export interface RunProgress {
  rows: number;
  chunks: number;
  bytesRead: number;
  sizeBytes: number | undefined;
}

/** Below this many rows per chunk, balancing would make chunks too small to be worth a task. */
const MIN_BALANCED_ROWS = 1024;
/**
 * Balanced chunks are a multiple of this many rows. The inference runtime rounded the last float32 digit of
 * some rows differently when a call's row count left a remainder of 1-3 rows in its kernels' row blocks (a
 * 17,003-row chunk did, 17,004 and 17,008 did not): with multiples of 16 the predictions here were
 * byte-identical to those from fixed 8192-row chunks.
 */
const BALANCED_ROW_MULTIPLE = 16;

/**
 * Rows per chunk for about `rows` rows over `workers` workers: chunks close to `target` rows, as many as a
 * multiple of the workers, so that no worker is left with one more chunk than the others at the end. The rows
 * are an estimate; when it is off, one chunk is a little short or one small chunk is added.
 */
export function balancedChunkRows(rows: number, workers: number, target: number): number {
  const rounds = Math.max(1, Math.round(rows / (workers * target)));
  const even = Math.ceil(rows / (workers * rounds) / BALANCED_ROW_MULTIPLE) * BALANCED_ROW_MULTIPLE;
  return Math.max(MIN_BALANCED_ROWS, even);
}

/** About how many records a file of `sizeBytes` holds, from the newlines in its first bytes. */
function estimateRows(first: Uint8Array, sizeBytes: number): number | undefined {
  const sample = Buffer.from(first.buffer, first.byteOffset, Math.min(first.byteLength, 1 << 20));
  let newlines = 0;
  for (let at = sample.indexOf(0x0a); at !== -1; at = sample.indexOf(0x0a, at + 1)) newlines++;
  return newlines === 0 ? undefined : (sizeBytes * newlines) / sample.length;
}

export async function startPool(manifest: Manifest, workers: number, isolation: Isolation, remote?: RemoteOptions): Promise<PoolHandle> {
  const models = remote === undefined ? manifest.models.map((m) => ({ name: m.name, path: m.path })) : await prepareRemoteModels(manifest, remote);
  const concurrency = remote === undefined ? workers : remoteConcurrency(remote, models);
  const pool = new ScoringPool({ workers, isolation, models, tasksPerWorker: Math.ceil(concurrency / workers) });
  try {
    return { pool, started: await pool.start(), manifest };
  } catch (error) {
    await pool.destroy();
    throw error;
  }
}

function openSink(target: string | OutputSink | undefined, flag: string): OutputSink | undefined {
  if (typeof target === 'string') return openFileSink(target, flag);
  return target;
}

export async function scoreSnapshot(handleOrPromise: PoolHandle | Promise<PoolHandle>, options: SnapshotOptions, hooks: SnapshotHooks = {}): Promise<RunTiming> {
  const snapshotStart = performance.now();
  const input = await openInput(options.input);
  if (input.path !== undefined) {
    refuseSharedFiles([...flagFile('--output', options.output), ...flagFile('--rejects', options.rejects)], [{ name: `the input ${input.path}`, path: input.path }]);
  }
  const splitter = new RecordSplitter({ format: input.format, chunkRows: options.chunkSize, hasHeader: input.format === 'csv', maxRecordBytes: options.maxRecordBytes });
  const source = input.bytes[Symbol.asyncIterator]();
  const early: RawChunk[] = [];
  let isInputDone = false;
  // While the workers load their models, read and cut ahead (the header first, then up to a budget): on a
  // fresh run that wait is longer than reading and cutting a 100k-row snapshot.
  let isPoolReady = false;
  const poolReady = Promise.resolve(handleOrPromise).then(() => {
    isPoolReady = true;
  });
  poolReady.catch(() => undefined); // Awaited below; a failed start is reported from there.
  let pending: Promise<IteratorResult<Uint8Array>> | undefined;
  let earlyBytes = 0;
  while (!isInputDone && ((input.format === 'csv' && splitter.header === undefined) || (!isPoolReady && earlyBytes < READ_AHEAD_BYTES))) {
    pending ??= source.next();
    const isHeaderRead = input.format !== 'csv' || splitter.header !== undefined;
    const next = isHeaderRead ? await Promise.race([pending, poolReady.then(() => undefined)]) : await pending;
    if (next === undefined) break; // The pool is ready; the read under way is taken up below.
    pending = undefined;
    if (next.done) {
      early.push(...splitter.end());
      isInputDone = true;
      break;
    }
    if (earlyBytes === 0 && options.balanceFor !== undefined && input.sizeBytes !== undefined && !input.isGzip) {
      const rows = estimateRows(next.value, input.sizeBytes);
      if (rows !== undefined) splitter.chunkRows = balancedChunkRows(rows, options.balanceFor, options.chunkSize);
    }
    early.push(...splitter.push(next.value));
    earlyBytes += next.value.length;
  }
  const header = input.format === 'csv' ? decodeHeader(splitter.header, input.name, splitter.headerLine) : undefined;
  const { pool, started, manifest } = await handleOrPromise;
  const plan: ScoringPlan = bindPlan(manifest, started.signatures, { inputFormat: input.format, outputFormat: options.outputFormat, parser: options.parser, batchRows: options.batchRows, header, headerLine: splitter.headerLine, inputName: input.name });

  const output = options.output === undefined ? openStdoutSink() : openSink(options.output, '--output')!;
  let rejects: OutputSink | undefined;
  try {
    rejects = openSink(options.rejects, '--rejects');
  } catch (error) {
    output.abort();
    throw error;
  }
  hooks.onPhase?.('bound', { input: input.name, format: input.format, columns: plan.outputColumns.length });
  const inFlight = new Set<Promise<void>>();
  try {
    await output.write(formatOutputHeader(plan.outputColumns, plan.outputFormat));
    await rejects?.write(REJECTS_HEADER);

    const totals = { rows: 0, rowsOut: 0, rowsRejected: 0, busyMs: 0, parseMs: 0, inferMs: 0, networkMs: 0, serverMs: 0, chunks: 0, retries: 0, chunksFailed: 0 };
    const kept: RawChunk[] = [];
    const writer = new OrderedWriter<ChunkScored>(
      output,
      rejects,
      (result) => {
        totals.rows += result.rowsIn;
        totals.rowsOut += result.rowsOut;
        totals.rowsRejected += result.rowsRejected;
        totals.busyMs += result.busyMs;
        totals.parseMs += result.parseMs;
        totals.inferMs += result.inferMs;
        totals.networkMs += result.networkMs;
        totals.serverMs += result.serverMs;
        hooks.onProgress?.({ rows: totals.rows, chunks: writer.written, bytesRead: input.bytesRead(), sizeBytes: input.sizeBytes });
      },
      options.compare ? [] : undefined,
    );

    // Why the run stopped taking chunks, if it did: every chunk not scored then becomes a reject with it.
    let stopReason: string | undefined;
    let isDeadlinePassed = false;
    const deadline = options.deadline;
    const deadlineTimer =
      deadline === undefined
        ? undefined
        : setTimeout(() => {
            isDeadlinePassed = true;
            hooks.onPhase?.('deadline', { mode: deadline.mode });
            // Chunks already on a worker finish and are written (stopping a thread inside native inference code
            // is not safe); no new chunk is scored.
            if (deadline.mode === 'abort') stopReason = 'deadline';
          }, Math.max(0, deadline.at - performance.now()));
    const onInterrupt = (): void => {
      stopReason ??= 'interrupted';
    };
    options.signal?.addEventListener('abort', onInterrupt, { once: true });

    const scoreWithRetries = async (chunk: RawChunk): Promise<ChunkScored> => {
      if (chunk.rejected !== undefined) return rejectLine(chunk.index, chunk.rejected, options.maxRecordBytes);
      let lastReason = '';
      for (let attempt = 0; attempt <= options.retries; attempt++) {
        if (stopReason !== undefined) return rejectChunk(chunk.index, chunk.bytes, chunk.firstLine, input.format, stopReason);
        if (attempt > 0) totals.retries++;
        try {
          // The chunk's bytes stay readable here, so that a failed try can be retried or its rows rejected.
          return await pool.score({ index: chunk.index, attempt, firstLine: chunk.firstLine, bytes: chunk.bytes, plan }, options.chunkTimeoutMs);
        } catch (error) {
          if (!(error instanceof ChunkFailure)) throw error;
          lastReason = error.message;
          if (options.signal?.aborted) throw error;
          hooks.onPhase?.('chunk-failed', { chunk: chunk.index, attempt, reason: lastReason });
        }
      }
      totals.chunksFailed++;
      if (stopReason !== undefined) return rejectChunk(chunk.index, chunk.bytes, chunk.firstLine, input.format, stopReason);
      return rejectChunk(chunk.index, chunk.bytes, chunk.firstLine, input.format, `worker failed on ${options.retries + 1} tries: ${lastReason}`);
    };

    let failure: unknown;
    let firstChunkAt: number | undefined;
    let warmUpSample: Uint8Array | undefined;
    let warmUpMs = 0;
    let parallelStart = performance.now();
    let mainLoop = performance.eventLoopUtilization();
    const submit = async (chunk: RawChunk): Promise<void> => {
      if (totals.chunks === 0 && input.format === 'ndjson') {
        for (const column of filledColumnsMissing(chunk.bytes, plan)) {
          hooks.onPhase?.('notice', { message: `${input.name}: the first record has no '${column}'; with the manifest's fill, every record without it is filled, not rejected (check the column's spelling)` });
        }
      }
      if (options.warmUp && warmUpSample === undefined && chunk.rejected === undefined && stopReason === undefined) {
        warmUpSample = takeWarmUpSample(chunk.bytes, input.format, warmUpRows(chunk.records, plan.batchRows));
        warmUpMs = await pool.warmUp(warmUpSample, plan, chunk.bytes.length);
        parallelStart = performance.now();
        mainLoop = performance.eventLoopUtilization();
      }
      if (options.compare) kept.push(chunk);
      firstChunkAt ??= performance.now();
      totals.chunks++;
      const task = scoreWithRetries(chunk)
        .then(async (result) => {
          await writer.add(result);
          // --compare scores the kept chunks again; otherwise their memory can hold later input.
          if (!options.compare) chunk.release?.();
        })
        .catch((error: unknown) => {
          failure ??= error;
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      while (inFlight.size >= options.maxInFlight) await Promise.race(inFlight);
      if (failure !== undefined) throw failure;
    };

    try {
      const isStopped = (): boolean => options.signal?.aborted === true;
      for (const chunk of early) if (!isStopped()) await submit(chunk);
      while (!isInputDone && !isStopped()) {
        const next = await (pending ?? source.next());
        pending = undefined;
        if (next.done) break;
        for (const chunk of splitter.push(next.value)) if (!isStopped()) await submit(chunk);
      }
      if (!isInputDone && !isStopped()) for (const chunk of splitter.end()) await submit(chunk);
      hooks.onInputRead?.();
      await Promise.all(inFlight);
      if (isStopped()) throw interrupted(options.signal!);
      if (failure !== undefined) throw failure;
    } finally {
      clearTimeout(deadlineTimer);
      options.signal?.removeEventListener('abort', onInterrupt);
    }
    const parallelMs = performance.now() - parallelStart;
    // How busy this thread was while the workers scored: reading, cutting, handing out, writing.
    const mainBusyMs = performance.eventLoopUtilization(mainLoop).active;

    let comparison: Partial<RunTiming> = {};
    if (options.compare && stopReason === undefined) {
      hooks.onPhase?.('sequential', { chunks: kept.length });
      // Imported here: it loads the inference runtime into this thread, which a run without --compare never needs.
      const { isSameOutput, scoreInParallel, scoreSequentially } = await import('./sequential-baseline.js');
      const scorable = kept.filter((c) => c.rejected === undefined);
      const parallelOutputs = writer.kept!.filter((_, i) => kept[i]!.rejected === undefined);
      const [first, steady] = await scoreSequentially(scorable, plan, manifest, warmUpSample, 2);
      const steadyParallel = await scoreInParallel(pool, scorable, plan);
      const speedup = first!.ms / parallelMs;
      const steadySpeedup = steady!.ms / steadyParallel.ms;
      comparison = {
        sequentialMs: first!.ms,
        speedup,
        efficiency: speedup / pool.workers,
        steadySequentialMs: steady!.ms,
        steadyParallelMs: steadyParallel.ms,
        steadySpeedup,
        steadyEfficiency: steadySpeedup / pool.workers,
        identical: [first!, steady!, steadyParallel].every((pass) => isSameOutput(pass.outputs, parallelOutputs)),
      };
    }
    await output.commit();
    await rejects?.commit();

    const end = performance.now();
    return {
      input: input.name,
      rows: totals.rows,
      rowsOut: totals.rowsOut,
      rowsRejected: totals.rowsRejected,
      workers: pool.workers,
      chunkSize: splitter.chunkRows,
      chunks: totals.chunks,
      retries: totals.retries,
      chunksFailed: totals.chunksFailed,
      wallMs: end,
      snapshotMs: end - snapshotStart,
      firstChunkMs: firstChunkAt ?? end,
      startupMs: started.startupMs,
      warmUpMs,
      parallelMs,
      busyMs: totals.busyMs,
      mainBusyMs,
      parseMs: totals.parseMs,
      inferMs: totals.inferMs,
      rowsPerSec: parallelMs > 0 ? (totals.rows / parallelMs) * 1000 : 0,
      // Filled in by run: a getrusage call per snapshot showed up in replay's profile.
      peakRssMb: 0,
      ...(totals.networkMs > 0 ? { networkMs: totals.networkMs, serverMs: totals.serverMs } : {}),
      parallelism: parallelMs > 0 ? totals.busyMs / parallelMs : 0,
      ...(deadline === undefined
        ? {}
        : { deadlineExceeded: isDeadlinePassed, overrunMs: Math.max(0, end - deadline.at), deadlineMode: deadline.mode }),
      ...comparison,
    };
  } catch (error) {
    // Let chunks already on a worker finish before the pool can be stopped: stopping a thread inside native
    // inference code can abort the whole process.
    await Promise.allSettled(inFlight);
    output.abort();
    rejects?.abort();
    // Whatever failed on the way out of an interrupted run, the interruption is what the user should see.
    throw options.signal?.aborted === true ? interrupted(options.signal) : error;
  }
}

function interrupted(signal: AbortSignal): BatchInferError {
  const code = signal.reason === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
  return new BatchInferError('INTERRUPTED', `stopped by ${String(signal.reason ?? 'SIGINT')}; no output was written`, { exitCode: code });
}

/**
 * NDJSON has no header to check the manifest's columns against, and a feature with a fill is filled wherever a
 * record lacks it, so a misspelt column name would fill every row without a word. The columns with a fill that
 * the first record does not have are worth a notice.
 */
export function filledColumnsMissing(firstChunk: Uint8Array, plan: ScoringPlan): string[] {
  const bytes = Buffer.from(firstChunk.buffer, firstChunk.byteOffset, firstChunk.length);
  let firstLine = '';
  for (let start = 0; start < bytes.length && firstLine.trim() === ''; ) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    firstLine = bytes.toString('utf8', start, end);
    start = end + 1;
  }
  let record: unknown;
  try {
    record = JSON.parse(firstLine.replace(/^\uFEFF/, ''));
  } catch {
    return []; // Not an object: the record itself becomes a reject, which says so.
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return [];
  const keys = new Set(Object.keys(record));
  const filled = plan.models.flatMap((model) => model.inputs.filter((input) => input.fill !== undefined).flatMap((input) => input.columns));
  return [...new Set(filled)].filter((column) => !keys.has(column));
}
