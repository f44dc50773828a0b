/** What scoring one snapshot takes: its options, and the hooks through which it reports as it goes. */

import type { InputRequest } from '../input/read-input.js';
import type { CsvParser, OutputFormat } from '../model/scoring-plan.js';
import type { OutputSink } from '../output/write-output.js';

export interface Deadline {
  /** performance.now() value at which the budget runs out. */
  at: number;
  /** 'finish': score everything and report the overrun; 'abort': stop taking chunks, reject the rest. */
  mode: 'finish' | 'abort';
}

export interface SnapshotOptions {
  input: InputRequest;
  outputFormat: OutputFormat;
  parser: CsvParser;
  batchRows: number;
  /** A path, undefined for stdout, or a sink (tests, replay, a service). */
  output: string | OutputSink | undefined;
  rejects: string | OutputSink | undefined;
  chunkSize: number;
  /**
   * Set to the worker count when chunkSize is only a target: a file whose size is known is then cut into
   * chunks of equal rows, as many as a multiple of the workers (see balancedChunkRows).
   */
  balanceFor: number | undefined;
  /** Chunks handed out but not yet written: bounds memory on inputs of any size. */
  maxInFlight: number;
  /** A record longer than this becomes a reject instead of growing without bound. */
  maxRecordBytes: number;
  /** Further tries for a chunk whose worker failed, on a fresh worker. */
  retries: number;
  chunkTimeoutMs: number | undefined;
  compare: boolean;
  /** Warm the hot path up in every worker (and the baseline) with a sample of the first rows. */
  warmUp: boolean;
  deadline: Deadline | undefined;
  /** Aborted when the run must stop now (SIGINT, SIGTERM). */
  signal: AbortSignal | undefined;
}

export interface SnapshotHooks {
  onProgress?: (progress: RunProgress) => void;
  /** Every chunk has been read and handed out (replay starts reading the next snapshot then). */
  onInputRead?: () => void;
  onPhase?: (phase: string, fields: Record<string, unknown>) => void;
}

export interface RunProgress {
  rows: number;
  chunks: number;
  bytesRead: number;
  sizeBytes: number | undefined;
}
