/**
 * --compare's figures: the chunks just scored in parallel are scored again by the sequential baseline in this
 * thread (cold, then warm) and once more in parallel (warm), and every pass must give the same predictions.
 */

import type { RawChunk } from '../input/raw-chunk.js';
import type { Manifest } from '../model/manifest.js';
import type { ScoringPlan } from '../model/scoring-plan.js';
import type { SnapshotPool } from './snapshot-pool.js';
import type { RunTiming } from './timing.js';

export interface CompareInput {
  pool: SnapshotPool;
  manifest: Manifest;
  plan: ScoringPlan;
  /** Every chunk of the snapshot, and each one's predictions as written, in input order. */
  chunks: readonly RawChunk[];
  outputs: readonly Uint8Array[];
  warmUpSample: Uint8Array | undefined;
  /** The run's own parallel phase, set against the baseline's first (cold) pass. */
  parallelMs: number;
}

export async function compareWithBaseline(input: CompareInput): Promise<Partial<RunTiming>> {
  const { pool, chunks } = input;
  // Imported here: it loads the inference runtime into this thread, which a run without --compare never needs.
  const { isSameOutput, scoreInParallel, scoreSequentially } = await import('./sequential-baseline.js');
  const scorable = chunks.filter((c) => c.rejected === undefined);
  const parallelOutputs = input.outputs.filter((_, i) => chunks[i]!.rejected === undefined);
  const [first, steady] = await scoreSequentially(scorable, input.plan, input.manifest, input.warmUpSample, 2);
  const steadyParallel = await scoreInParallel(pool, scorable, input.plan);
  const speedup = first!.ms / input.parallelMs;
  const steadySpeedup = steady!.ms / steadyParallel.ms;
  return {
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
