/**
 * Hands a snapshot's chunks out to the pool, at most `maxInFlight` not yet written at a time (which bounds
 * memory on inputs of any size), and hands each result to the ordered writer. On any failure, the chunks
 * already on a worker finish before it is thrown: stopping a thread inside native inference code can abort the
 * whole process.
 */

import type { RawChunk } from '../input/raw-chunk.js';
import type { ReadStops } from './read-ahead.js';
import type { ChunkScored } from '../scoring/score-chunk.js';
import { scoreWithRetries, type RetryContext } from './score-with-retries.js';
import type { SnapshotTotals } from './snapshot-totals.js';
import { interruptedError } from './watch-stops.js';

export interface DispatchContext extends RetryContext {
  totals: SnapshotTotals;
  maxInFlight: number;
  /** Keep every chunk (with its bytes) for --compare, which scores them again. */
  isKeepingChunks: boolean;
  /** Writes a result in input order; resolves once it is written. */
  write: (result: ChunkScored) => Promise<void>;
  /** Runs before a chunk is handed out (the NDJSON notice, the warm-up). */
  beforeChunk?: (chunk: RawChunk) => Promise<void>;
  onInputRead?: () => void;
  /** Resolves when reading must end now (a deadline in 'abort' mode); see ReadStops. */
  cut?: Promise<unknown>;
}

export interface Dispatched {
  /** performance.now() when the first chunk was handed out. */
  firstChunkAt: number | undefined;
  /** With isKeepingChunks: every chunk, in input order. */
  kept: RawChunk[];
}

export async function dispatchChunks(chunks: (stops: ReadStops) => AsyncIterable<RawChunk>, context: DispatchContext): Promise<Dispatched> {
  /** Chunks handed out and not yet written; of those, the ones still on a worker. */
  const inFlight = new Set<Promise<void>>();
  const onWorker = new Set<Promise<ChunkScored>>();
  const kept: RawChunk[] = [];
  let firstChunkAt: number | undefined;
  let failure: unknown;
  const submit = async (chunk: RawChunk): Promise<void> => {
    await context.beforeChunk?.(chunk);
    if (context.isKeepingChunks) kept.push(chunk);
    firstChunkAt ??= performance.now();
    context.totals.chunks++;
    const scoring = scoreWithRetries(chunk, context);
    onWorker.add(scoring);
    const task = scoring
      .finally(() => onWorker.delete(scoring))
      .then(async (result) => {
        await context.write(result);
        // --compare scores the kept chunks again; otherwise their memory can hold later input.
        if (!context.isKeepingChunks) chunk.release?.();
      })
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    while (inFlight.size >= context.maxInFlight && failure === undefined) await Promise.race(inFlight);
    if (failure !== undefined) throw failure;
  };
  const isStopped = (): boolean => context.signal?.aborted === true;
  try {
    for await (const chunk of chunks({ isStopped, cut: context.cut })) await submit(chunk);
    context.onInputRead?.();
    // After a failure, results behind the failed chunk would wait for it forever: stop waiting then.
    while (inFlight.size > 0 && failure === undefined) await Promise.race(inFlight);
    if (isStopped()) throw interruptedError(context.signal!);
    if (failure !== undefined) throw failure;
  } catch (error) {
    await Promise.allSettled(onWorker);
    throw error;
  }
  return { firstChunkAt, kept };
}
