/**
 * --compare: the single-process baseline, and a second, steady-state measurement of both sides.
 *
 * The baseline scores the same chunks with one set of sessions in this thread, one chunk after another, doing
 * the same parse, tensor, inference and formatting work, after the same warm-up sample as the workers. Its first
 * pass sets against the run itself: both pay their JIT warm-up, as a fresh process every minute does. Its second
 * pass sets against a second parallel pass over the same chunks (handed out at once, gathered in order): both
 * warm, as a long-running service is. Every pass must give byte-identical predictions.
 */

import type { RawChunk } from './input/split-records.js';
import type { Manifest } from './manifest.js';
import { loadModels, releaseModels } from './model-session.js';
import type { ScoringPlan } from './plan.js';
import type { ScoringPool } from './pool.js';
import { scoreChunk } from './score-chunk.js';

export interface Pass {
  ms: number;
  outputs: Uint8Array[];
}

/** `passes` timed passes of the sequential baseline (model load and warm-up excluded). */
export async function scoreSequentially(chunks: readonly RawChunk[], plan: ScoringPlan, manifest: Manifest, warmUpSample: Uint8Array | undefined, passes: number): Promise<Pass[]> {
  const models = await loadModels(manifest.models.map((m) => ({ name: m.name, path: m.path })));
  try {
    if (warmUpSample !== undefined) await scoreChunk(warmUpSample, 1, plan, models);
    const results: Pass[] = [];
    for (let pass = 0; pass < passes; pass++) {
      const outputs: Uint8Array[] = [];
      const start = performance.now();
      for (const chunk of chunks) outputs.push((await scoreChunk(chunk.bytes, chunk.firstLine, plan, models)).output);
      results.push({ ms: performance.now() - start, outputs });
    }
    return results;
  } finally {
    await releaseModels(models);
  }
}

/** One parallel pass over chunks already in memory: all handed out at once, gathered in input order. */
export async function scoreInParallel(pool: ScoringPool, chunks: readonly RawChunk[], plan: ScoringPlan): Promise<Pass> {
  const copies = chunks.map((chunk) => chunk.bytes.slice());
  const start = performance.now();
  const results = await Promise.all(chunks.map((chunk, i) => pool.score({ index: chunk.index, attempt: 0, firstLine: chunk.firstLine, bytes: copies[i]!, plan }, undefined)));
  return { ms: performance.now() - start, outputs: results.map((r) => r.output) };
}

export function isSameOutput(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((chunk, i) => Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).equals(b[i]!));
}
