/**
 * One chunk through the pool: a chunk whose worker failed is tried again on a fresh worker, up to `retries`
 * more times; one that fails every try, or that is reached after the snapshot stopped, becomes rejects.
 */

import type { RawChunk } from '../input/raw-chunk.js';
import type { InputFormat, ScoringPlan } from '../model/scoring-plan.js';
import { ChunkFailure } from '../pool/scoring-pool.js';
import { rejectChunk, rejectLine } from '../scoring/reject-chunk.js';
import type { ChunkScored } from '../scoring/score-chunk.js';
import type { SnapshotPool } from './snapshot-pool.js';
import type { SnapshotHooks } from './snapshot-options.js';
import type { SnapshotTotals } from './snapshot-totals.js';

export interface RetryContext {
  pool: SnapshotPool;
  plan: ScoringPlan;
  format: InputFormat;
  retries: number;
  chunkTimeoutMs: number | undefined;
  maxRecordBytes: number;
  signal: AbortSignal | undefined;
  /** Why the snapshot stopped taking chunks, if it did (see watchStops). */
  stopReason: () => string | undefined;
  totals: Pick<SnapshotTotals, 'retries' | 'chunksFailed'>;
  onPhase: SnapshotHooks['onPhase'];
}

export async function scoreWithRetries(chunk: RawChunk, context: RetryContext): Promise<ChunkScored> {
  const { retries, format } = context;
  if (chunk.rejected !== undefined) return rejectLine(chunk.index, chunk.rejected, context.maxRecordBytes);
  let lastReason = '';
  for (let attempt = 0; attempt <= retries; attempt++) {
    const stopReason = context.stopReason();
    if (stopReason !== undefined) return rejectChunk(chunk.index, chunk.bytes, chunk.firstLine, format, stopReason);
    if (attempt > 0) context.totals.retries++;
    try {
      // The chunk's bytes stay readable here, so that a failed try can be retried or its rows rejected.
      return await context.pool.score({ index: chunk.index, attempt, firstLine: chunk.firstLine, bytes: chunk.bytes, plan: context.plan }, context.chunkTimeoutMs);
    } catch (error) {
      if (!(error instanceof ChunkFailure)) throw error;
      lastReason = error.message;
      if (context.signal?.aborted) throw error;
      context.onPhase?.('chunk-failed', { chunk: chunk.index, attempt, reason: lastReason });
    }
  }
  context.totals.chunksFailed++;
  const stopReason = context.stopReason();
  if (stopReason !== undefined) return rejectChunk(chunk.index, chunk.bytes, chunk.firstLine, format, stopReason);
  return rejectChunk(chunk.index, chunk.bytes, chunk.firstLine, format, `worker failed on ${retries + 1} tries: ${lastReason}`);
}
