/**
 * The warm-up before the timed phase: every worker scores a sample of the first scorable chunk's rows and
 * throws it away. The same sample warms the --compare baseline, so both sides start equally warm.
 */

import type { RawChunk } from '../input/raw-chunk.js';
import type { InputFormat, ScoringPlan } from '../model/scoring-plan.js';
import { takeWarmUpSample, warmUpRows } from '../scoring/warm-up.js';
import type { SnapshotPool } from './snapshot-pool.js';

export interface WarmUpState {
  /** The sample, once taken. */
  sample: Uint8Array | undefined;
  ms: number;
}

/** Warms the workers up on the first chunk it is worth it for; true when it did (the timed phase starts then). */
export async function warmUpOnFirstChunk(state: WarmUpState, chunk: RawChunk, pool: SnapshotPool, plan: ScoringPlan, format: InputFormat, isStopped: boolean): Promise<boolean> {
  if (state.sample !== undefined || chunk.rejected !== undefined || isStopped) return false;
  state.sample = takeWarmUpSample(chunk.bytes, format, warmUpRows(chunk.records, plan.batchRows));
  state.ms = await pool.warmUp(state.sample, plan, chunk.bytes.length);
  return true;
}
