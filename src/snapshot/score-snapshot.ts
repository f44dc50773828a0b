/**
 * One snapshot through a started pool, step by step: read and cut it ahead while the pool starts
 * (read-ahead.ts), bind the manifest to its header, open the sinks, hand the chunks out with retries and an
 * in-flight window (dispatch-chunks.ts) under a deadline and interrupts (watch-stops.ts), write results in
 * input order, optionally compare with the sequential baseline, and measure it all. `run` scores one snapshot
 * per pool; `replay` scores many through the same pool.
 *
 * Nothing is lost: every record ends as one output row or one reject, including when a chunk fails on every
 * try, when a deadline stops the run, or when a record is longer than the line limit.
 */

import { decodeHeader } from '../input/read-header.js';
import type { RawChunk } from '../input/raw-chunk.js';
import { bindPlan } from '../model/bind-plan.js';
import type { ScoringPlan } from '../model/scoring-plan.js';
import { OrderedWriter } from '../output/ordered-writer.js';
import { formatOutputHeader, REJECTS_HEADER } from '../scoring/format/format-rows.js';
import type { ChunkScored } from '../scoring/score-chunk.js';
import { compareWithBaseline } from './compare-baseline.js';
import { dispatchChunks } from './dispatch-chunks.js';
import { noticeMissingFills } from './ndjson-fill-notice.js';
import { openSinks, type SnapshotSinks } from './open-sinks.js';
import { readAhead, type SnapshotReader } from './read-ahead.js';
import { assembleTiming, ParallelClock, type TimingParts } from './snapshot-timing.js';
import { addWritten, createTotals } from './snapshot-totals.js';
import type { PoolHandle } from './snapshot-pool.js';
import type { SnapshotHooks, SnapshotOptions } from './snapshot-options.js';
import type { RunTiming } from './timing.js';
import { warmUpOnFirstChunk, type WarmUpState } from './warm-up-workers.js';
import { interruptedError, watchStops } from './watch-stops.js';
import { BatchInferError } from '../errors.js';

export type { Deadline, RunProgress, SnapshotHooks, SnapshotOptions } from './snapshot-options.js';
export type { PoolHandle, SnapshotPool } from './snapshot-pool.js';

export async function scoreSnapshot(handleOrPromise: PoolHandle | Promise<PoolHandle>, options: SnapshotOptions, hooks: SnapshotHooks = {}): Promise<RunTiming> {
  const snapshotStart = performance.now();
  const reader = await readAhead(options, handleOrPromise);
  try {
    return await scoreRead(reader, handleOrPromise, options, hooks, snapshotStart);
  } catch (error) {
    // Nothing more will be read: a read still pending on a stalled stdin must not keep the process alive.
    reader.input.close();
    throw error;
  }
}

async function scoreRead(reader: SnapshotReader, handleOrPromise: PoolHandle | Promise<PoolHandle>, options: SnapshotOptions, hooks: SnapshotHooks, snapshotStart: number): Promise<RunTiming> {
  const { input, splitter } = reader;
  const header = input.format === 'csv' ? decodeHeader(splitter.header, input.name, splitter.headerLine) : undefined;
  const handle = await handleOrPromise;
  const { started, manifest } = handle;
  const plan: ScoringPlan = bindPlan(manifest, started.signatures, { inputFormat: input.format, outputFormat: options.outputFormat, parser: options.parser, batchRows: options.batchRows, header, headerLine: splitter.headerLine, inputName: input.name });
  const { output, rejects } = openSinks(options.output, options.rejects);
  hooks.onPhase?.('bound', { input: input.name, format: input.format, columns: plan.outputColumns.length });
  try {
    await output.write(formatOutputHeader(plan.outputColumns, plan.outputFormat));
    await rejects?.write(REJECTS_HEADER);
    const timing = await scoreChunks(handle, plan, reader, { output, rejects }, options, hooks);
    await output.commit();
    await rejects?.commit();
    return assembleTiming({ ...timing, snapshotStart });
  } catch (error) {
    output.abort();
    rejects?.abort();
    // Whatever failed on the way out of an interrupted run, the interruption is what the user should see.
    throw options.signal?.aborted === true ? interruptedError(options.signal) : error;
  }
}

/** The timed phase: every chunk scored and written in input order, then --compare's passes. */
async function scoreChunks(handle: PoolHandle, plan: ScoringPlan, reader: SnapshotReader, sinks: SnapshotSinks, options: SnapshotOptions, hooks: SnapshotHooks): Promise<Omit<TimingParts, 'snapshotStart'>> {
  const { pool, started, manifest } = handle;
  const { input, splitter } = reader;
  const totals = createTotals();
  const writer = new OrderedWriter<ChunkScored>(
    sinks.output,
    sinks.rejects,
    (result) => {
      addWritten(totals, result);
      hooks.onProgress?.({ rows: totals.rows, chunks: writer.written, bytesRead: input.bytesRead(), sizeBytes: input.sizeBytes });
    },
    options.compare ? [] : undefined,
  );
  const stops = watchStops(options.deadline, options.signal, hooks.onPhase, (reason) => pool.abandonRunning?.(reason));
  const warmUp: WarmUpState = { sample: undefined, ms: 0 };
  const clock = new ParallelClock();
  const beforeChunk = async (chunk: RawChunk): Promise<void> => {
    if (totals.chunks === 0 && input.format === 'ndjson') noticeMissingFills(chunk.bytes, plan, input.name, hooks.onPhase);
    if (options.warmUp && (await warmUpOnFirstChunk(warmUp, chunk, pool, plan, input.format, stops.reason !== undefined))) clock.restart();
  };
  let dispatched;
  try {
    dispatched = await dispatchChunks(reader.chunks, {
      ...options,
      pool,
      plan,
      format: input.format,
      stopReason: () => stops.reason,
      totals,
      isKeepingChunks: options.compare,
      write: (result) => writer.add(result),
      beforeChunk,
      onInputRead: hooks.onInputRead,
      onPhase: hooks.onPhase,
      cut: stops.cut,
    });
  } finally {
    stops.dispose();
  }
  const { parallelMs, mainBusyMs } = clock.stop();
  if (totals.chunksRefused > 0 && totals.chunksRefused === totals.chunks) {
    // One refused chunk is that chunk's rows' problem; all of them is the server's (or the --endpoint's).
    throw new BatchInferError('REMOTE_UNAVAILABLE', `--endpoint: the server refused every chunk (${totals.chunks}); the first: ${totals.firstRefusal ?? ''}`);
  }
  if (reader.cutAtBytes !== undefined) {
    const of = input.sizeBytes === undefined ? '' : ` of ${input.sizeBytes}`;
    hooks.onPhase?.('notice', { message: `${input.name}: the deadline passed before the input was read to the end: stopped after ${reader.cutAtBytes}${of} bytes; the rows read by then were scored or are rejects with reason deadline, the rest was not read` });
  }
  let comparison: Partial<RunTiming> = {};
  if (options.compare && stops.reason === undefined) {
    hooks.onPhase?.('sequential', { chunks: dispatched.kept.length });
    comparison = await compareWithBaseline({ pool, manifest, plan, chunks: dispatched.kept, outputs: writer.kept!, warmUpSample: warmUp.sample, parallelMs });
  }
  return { inputName: input.name, totals, workers: pool.workers, chunkSize: splitter.chunkRows, firstChunkAt: dispatched.firstChunkAt, started, warmUpMs: warmUp.ms, parallelMs, mainBusyMs, deadline: options.deadline, isDeadlinePassed: stops.isDeadlinePassed, inputCutAtBytes: reader.cutAtBytes, comparison };
}
