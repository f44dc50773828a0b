/**
 * The single-process baseline for --compare: the same chunks, one set of sessions in this thread, one chunk
 * after another, doing the same parse, tensor and inference work, after the same warm-up sample as the
 * workers. Returns its time (model load and warm-up excluded) and its predictions.
 */

import type { RawChunk } from './input/split-records.js';
import type { Manifest } from './manifest.js';
import { loadModels, releaseModels } from './model-session.js';
import type { ScoringPlan } from './plan.js';
import { scoreChunk } from './score-chunk.js';

export async function scoreSequentially(
  chunks: readonly RawChunk[],
  plan: ScoringPlan,
  manifest: Manifest,
  warmUpSample: Uint8Array | undefined,
): Promise<{ ms: number; outputs: Uint8Array[] }> {
  const models = await loadModels(manifest.models.map((m) => ({ name: m.name, path: m.path })));
  try {
    if (warmUpSample !== undefined) await scoreChunk(warmUpSample, 1, plan, models);
    const outputs: Uint8Array[] = [];
    const start = performance.now();
    for (const chunk of chunks) outputs.push((await scoreChunk(chunk.bytes, chunk.firstLine, plan, models)).output);
    return { ms: performance.now() - start, outputs };
  } finally {
    await releaseModels(models);
  }
}

export function isSameOutput(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((chunk, i) => Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).equals(b[i]!));
}
