/**
 * Warm-up: before the timed work, every worker scores a sample of the run's own first rows once, and throws the
 * result away. Measured here: a worker's first two chunks of 4096 rows took 2 to 6 times as long as later ones
 * (JIT compilation and type feedback for this input's shape: its quoting, field count and models), and with
 * every worker compiling at once that cost most of the speedup on a 100k-row snapshot. A synthetic sample did
 * not help: the code deoptimised again on the real rows. The sequential baseline gets the same warm-up, so
 * that `--compare` sets steady state against steady state.
 */

import { findRecordSpans } from './parse/record-spans.js';
import type { InputFormat } from './plan.js';

/** Rows of the first chunk each worker scores before the timed work. */
export const WARM_UP_ROWS = 1024;

/** The first `rows` records of a chunk: a view of its bytes (shared memory reaches the workers as is). */
export function takeWarmUpSample(chunk: Uint8Array, format: InputFormat, rows = WARM_UP_ROWS): Uint8Array {
  const spans = findRecordSpans(chunk, format, 1);
  if (spans.count === 0) return new Uint8Array(0);
  const last = Math.min(rows, spans.count) - 1;
  const end = last + 1 < spans.count ? spans.starts[last + 1]! : chunk.length;
  return chunk.subarray(0, end);
}
