/**
 * A manifest bound to one input: which field or key feeds which tensor, which columns pass through, and what the
 * output's columns are. Plain data: it travels to the workers with every chunk.
 */

import type { TensorType } from './signature.js';

export type InputFormat = 'csv' | 'ndjson';
export type OutputFormat = 'csv' | 'ndjson';

/** 'fast' reads plain numeric fields straight from bytes and hands anything else to 'reference' (csv-parse). */
export type CsvParser = 'fast' | 'reference';

/** One model input bound to the input's columns. */
export interface BoundInput {
  name: string;
  type: TensorType;
  columns: string[];
  /** CSV: the field index of each column; NDJSON: unused (columns are keys). */
  fieldIndexes: number[];
  /** Value used for an empty, NaN or infinite feature (for float32: infinite once stored); undefined means such a
   * row is rejected. */
  fill: number | undefined;
}

export interface BoundOutput {
  name: string;
  columns: string[];
}

export interface BoundThreshold {
  column: string;
  above: number;
  flag: string;
}

export interface BoundModel {
  name: string;
  path: string;
  inputs: BoundInput[];
  outputs: BoundOutput[];
  thresholds: BoundThreshold[];
  /**
   * The model's fixed batch dimension, when its inputs have one: every call then has exactly this many rows (the
   * last one padded, see score-chunk.ts). Undefined: any number of rows.
   */
  batchSize: number | undefined;
  /** Write NaN and infinite outputs instead of rejecting their rows (the manifest's `"nonFinite": "keep"`). */
  keepsNonFinite: boolean;
}

/** Everything a worker needs to turn a chunk's bytes into output bytes. */
export interface ScoringPlan {
  inputFormat: InputFormat;
  outputFormat: OutputFormat;
  parser: CsvParser;
  /** Rows per inference call: a chunk is scored in slices of this many rows (see score-chunk.ts). */
  batchRows: number;
  /** CSV: the number of fields every record must have. */
  fieldCount: number;
  passthrough: { name: string; fieldIndex: number }[];
  models: BoundModel[];
  /** Output column names in order: pass-through columns, then each model's outputs and flags. */
  outputColumns: string[];
}
