/**
 * Chunk sizing when the chunk size is only a target (the default): a file whose size is known is cut into
 * chunks of equal rows, as many as a multiple of the workers, from an estimate of its rows.
 */

/** Below this many rows per chunk, balancing would make chunks too small to be worth a task. */
const MIN_BALANCED_ROWS = 1024;
/**
 * Balanced chunks are a multiple of this many rows. The inference runtime rounded the last float32 digit of
 * some rows differently when a call's row count left a remainder of 1-3 rows in its kernels' row blocks (a
 * 17,003-row chunk did, 17,004 and 17,008 did not): with multiples of 16 the predictions here were
 * byte-identical to those from fixed 8192-row chunks.
 */
const BALANCED_ROW_MULTIPLE = 16;

/**
 * Rows per chunk for about `rows` rows over `workers` workers: chunks close to `target` rows, as many as a
 * multiple of the workers, so that no worker is left with one more chunk than the others at the end. The rows
 * are an estimate; when it is off, one chunk is a little short or one small chunk is added.
 */
export function balancedChunkRows(rows: number, workers: number, target: number): number {
  const rounds = Math.max(1, Math.round(rows / (workers * target)));
  const even = Math.ceil(rows / (workers * rounds) / BALANCED_ROW_MULTIPLE) * BALANCED_ROW_MULTIPLE;
  return Math.max(MIN_BALANCED_ROWS, even);
}

/**
 * Bytes the row estimate reads: a request body arrives in pieces of 64 KiB, and the first of the generated 100k-row
 * snapshot's gave 99,760 rows where 1 MiB gave 100,017; the 16,640-row chunks of the first estimate left a 7th chunk
 * of 160 rows to run after a worker's last (2026-12-06).
 */
export const ESTIMATE_BYTES = 1 << 20;

/** About how many records an input of `sizeBytes` holds, from the newlines in its first pieces (up to ESTIMATE_BYTES). */
export function estimateRows(first: readonly Uint8Array[], sizeBytes: number): number | undefined {
  let newlines = 0;
  let sampled = 0;
  for (const piece of first) {
    const sample = Buffer.from(piece.buffer, piece.byteOffset, Math.min(piece.byteLength, ESTIMATE_BYTES - sampled));
    for (let at = sample.indexOf(0x0a); at !== -1; at = sample.indexOf(0x0a, at + 1)) newlines++;
    sampled += sample.length;
    if (sampled >= ESTIMATE_BYTES) break;
  }
  return newlines === 0 ? undefined : (sizeBytes * newlines) / sampled;
}
