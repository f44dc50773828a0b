/** A snapshot's options with run's defaults filled in, for library callers (a service scoring request bodies). */

import type { SnapshotOptions } from '../snapshot/snapshot-options.js';
import { DEFAULT_BATCH_ROWS, DEFAULT_CHUNK_SIZE, DEFAULT_MAX_LINE_BYTES, DEFAULT_RETRIES } from './option-table.js';

/** `input` and `output` are required; everything else defaults as `run` does for a pool of `workers`. */
export function snapshotOptions(workers: number, options: Pick<SnapshotOptions, 'input' | 'output'> & Partial<SnapshotOptions>): SnapshotOptions {
  return {
    outputFormat: 'csv',
    parser: 'fast',
    batchRows: DEFAULT_BATCH_ROWS,
    rejects: undefined,
    chunkSize: DEFAULT_CHUNK_SIZE,
    // Balanced over the workers, as run's default chunk size is, unless a chunk size was given.
    balanceFor: options.chunkSize === undefined ? workers : undefined,
    maxInFlight: workers * 4,
    maxRecordBytes: DEFAULT_MAX_LINE_BYTES,
    retries: DEFAULT_RETRIES,
    chunkTimeoutMs: undefined,
    compare: false,
    warmUp: true,
    deadline: undefined,
    signal: undefined,
    ...options,
  };
}
