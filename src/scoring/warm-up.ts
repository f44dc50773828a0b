/**
 * Warm-up: before the timed work, every worker scores a sample of the run's own first rows, again and again
 * until a pass is no longer clearly faster than the one before, and throws the results away. A run is a fresh
 * process: each worker thread compiles its own parser, formatter and glue, and the inference runtime sizes its
 * buffers on the first batch of a size. Measured here on 100k rows: after one pass over 1,024 rows, each
 * worker's first chunks still took 2 to 5 times as long as later ones, V8's compiler threads used about 100 ms
 * of CPU during the parallel phase, and the main thread waited for a core to hand out the next chunk. A
 * synthetic sample did not help: the code deoptimised again on the real rows. The sequential baseline gets the
 * same warm-up, so that `--compare` sets like against like.
 */

import { reserveWasmMemory } from './csv-wasm.js';
import { findRecordSpans } from './parse/record-spans.js';
import { reserveScratch } from './parse/scratch.js';
import type { InputFormat } from '../model/scoring-plan.js';

/** Rows of the first chunk each worker scores before the timed work. */
export const WARM_UP_ROWS = 1024;
/** Passes over the sample: at least two, and at most this many. */
export const MAX_WARM_UP_PASSES = 6;
/** A pass that takes more than this share of the one before is not clearly faster: the code is warm. */
const STEADY_RATIO = 0.85;

/** Runs `pass` once; returns the time taken. */
export async function timed(pass: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await pass();
  return performance.now() - start;
}

/** Runs `pass` until it stops getting clearly faster (see above); returns the time taken. */
export async function warmUp(pass: () => Promise<unknown>, now: () => number = () => performance.now()): Promise<number> {
  const start = now();
  let previous = Number.POSITIVE_INFINITY;
  for (let count = 0; count < MAX_WARM_UP_PASSES; count++) {
    const passStart = now();
    await pass();
    const ms = now() - passStart;
    if (ms > previous * STEADY_RATIO) break;
    previous = ms;
  }
  return now() - start;
}

/**
 * After the sample: makes this thread's parse and format memory as large as a chunk of `chunkBytes` needs, and
 * touches it, from what the sample of `sampleBytes` took (both grow with the bytes). Without it the first real
 * chunk faulted in its memory page by page: measured here on 100k rows (one worker, 16,672-row chunks), the
 * first chunk caused about 2,000 page faults and took 25 ms against 250-340 faults and 19-20 ms for the others.
 */
export function makeRoomForChunks(sampleBytes: number, chunkBytes: number): void {
  if (sampleBytes === 0 || chunkBytes <= sampleBytes) return;
  // Chunks of equal rows differ a little in bytes.
  const scale = (chunkBytes / sampleBytes) * 1.125;
  reserveWasmMemory(scale);
  reserveScratch(scale);
}

/**
 * How many rows the sample takes from a chunk of `chunkRows`: WARM_UP_ROWS, plus the rows of the chunk's last,
 * shorter inference call, so that the runtime has seen that batch shape too. Measured here (one worker, 16,672-row
 * chunks: 16 calls of 1,024 rows and one of 288), the first chunk's inference and formatting took about 2 ms more
 * than the others' when the sample had 1,024 rows.
 */
export function warmUpRows(chunkRows: number, batchRows: number): number {
  return WARM_UP_ROWS + (chunkRows > WARM_UP_ROWS ? chunkRows % batchRows : 0);
}

/** The first `rows` records of a chunk: a view of its bytes (shared memory reaches the workers as is). */
export function takeWarmUpSample(chunk: Uint8Array, format: InputFormat, rows = WARM_UP_ROWS): Uint8Array {
  // One record past the sample: where it starts is where the sample ends.
  const spans = findRecordSpans(chunk, format, 1, rows + 1);
  if (spans.count === 0) return new Uint8Array(0);
  const last = Math.min(rows, spans.count) - 1;
  const end = last + 1 < spans.count ? spans.starts[last + 1]! : chunk.length;
  return chunk.subarray(0, end);
}
