/**
 * What scoring a snapshot needs of a pool: score a chunk, warm the workers up, know how many there are, stop.
 * ScoringPool is the real one; the unit tests drive every step with a fake that has no threads and no models.
 */

import type { Manifest } from '../model/manifest.js';
import type { ScoringPlan } from '../model/scoring-plan.js';
import type { ChunkTask } from '../pool/messages.js';
import type { PoolStarted } from '../pool/scoring-pool.js';
import type { ChunkScored } from '../scoring/score-chunk.js';

/** One chunk to score, as the caller gives it (the pool adds its own bookkeeping). */
export type ChunkRequest = Omit<ChunkTask, 'kind' | 'key'>;

export interface SnapshotPool {
  readonly workers: number;
  /** Throws ChunkFailure when the worker failed, died or passed `timeoutMs`: worth another try. */
  score(task: ChunkRequest, timeoutMs: number | undefined, onDispatched?: () => void): Promise<ChunkScored>;
  /** Has every worker score a sample and throw it away; resolves with the time it took. */
  warmUp(bytes: Uint8Array, plan: ScoringPlan, chunkBytes: number): Promise<number>;
  destroy(): Promise<void>;
  /** Gives up on every chunk on a worker now: each fails with `reason`, and its worker is replaced. */
  abandonRunning?(reason: string): void;
}

/** A started pool and what it was started with: what scoreSnapshot scores through. */
export interface PoolHandle<Pool extends SnapshotPool = SnapshotPool> {
  pool: Pool;
  started: PoolStarted;
  manifest: Manifest;
}
