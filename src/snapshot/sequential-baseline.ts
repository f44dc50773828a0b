/**
 * --compare: the single-process baseline, and a second, steady-state measurement of both sides.
 *
 * The baseline scores the same chunks with one set of sessions in this thread, one chunk after another, doing
 * the same parse, tensor, inference and formatting work, after the same warm-up sample as the workers. Its first
 * pass sets against the run itself: both pay their JIT warm-up, as a fresh process every minute does. Its second
 * pass sets against a second parallel pass over the same chunks (handed out at once, gathered in order): both
 * warm, as a long-running service is. Every pass must give byte-identical predictions.
 */

import type { RawChunk } from '../input/raw-chunk.js';
import type { Manifest } from '../model/manifest.js';
import { loadModels, releaseModels, type LoadedModel } from '../model/model-session.js';
import { modelSetup } from '../model/signature.js';
import type { ScoringPlan } from '../model/scoring-plan.js';
import type { SnapshotPool } from './snapshot-pool.js';
import { scoreChunk } from '../scoring/score-chunk.js';
import { makeRoomForChunks, warmUp } from '../scoring/warm-up.js';

export interface Pass {
  ms: number;
  outputs: Uint8Array[];
}

export interface ParallelPass extends Pass {
  /** Per chunk: dispatch to result, and submission to dispatch (waiting for a free worker). */
  latencies: number[];
  waits: number[];
  /** Worker time on the chunks, summed. */
  busyMs: number;
}

/** One timed pass over the chunks in this thread, one after another (bench's sequential baseline too). */
export async function scorePass(chunks: readonly RawChunk[], plan: ScoringPlan, models: readonly LoadedModel[]): Promise<Pass> {
  const outputs: Uint8Array[] = [];
  const start = performance.now();
  for (const chunk of chunks) outputs.push((await scoreChunk(chunk.bytes, chunk.firstLine, plan, models)).output);
  return { ms: performance.now() - start, outputs };
}

/** `passes` timed passes of the sequential baseline (model load and warm-up excluded). */
export async function scoreSequentially(chunks: readonly RawChunk[], plan: ScoringPlan, manifest: Manifest, warmUpSample: Uint8Array | undefined, passes: number): Promise<Pass[]> {
  const models = await loadModels(manifest.models.map(modelSetup));
  try {
    if (warmUpSample !== undefined) {
      await warmUp(() => scoreChunk(warmUpSample, 1, plan, models));
      makeRoomForChunks(warmUpSample.length, chunks[0]?.bytes.length ?? 0);
    }
    const results: Pass[] = [];
    for (let pass = 0; pass < passes; pass++) results.push(await scorePass(chunks, plan, models));
    return results;
  } finally {
    await releaseModels(models);
  }
}

/** One parallel pass over chunks already in memory: all handed out at once, gathered in input order. */
export async function scoreInParallel(pool: SnapshotPool, chunks: readonly RawChunk[], plan: ScoringPlan): Promise<ParallelPass> {
  const latencies: number[] = [];
  const waits: number[] = [];
  let busyMs = 0;
  const start = performance.now();
  const outputs = await Promise.all(
    chunks.map(async (chunk) => {
      const submitted = performance.now();
      let dispatched = submitted;
      const result = await pool.score({ index: chunk.index, attempt: 0, firstLine: chunk.firstLine, bytes: chunk.bytes, plan }, undefined, () => {
        dispatched = performance.now();
      });
      latencies.push(performance.now() - dispatched);
      waits.push(dispatched - submitted);
      busyMs += result.busyMs;
      return result.output;
    }),
  );
  return { ms: performance.now() - start, outputs, latencies, waits, busyMs };
}

export function isSameOutput(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((chunk, i) => Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).equals(b[i]!));
}
