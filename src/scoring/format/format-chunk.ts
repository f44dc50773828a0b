/**
 * A scored chunk's output as bytes: the output columns each model gave (and its threshold flags) beside the rows'
 * pass-through bytes, in WebAssembly for the common CSV case (wasm-format.ts) and in JavaScript otherwise; and the
 * rows whose outputs are NaN or infinite, which become rejects instead.
 */

import type { ParsedChunk } from '../parse/parse-chunk.js';
import type { ScoringPlan } from '../../model/scoring-plan.js';
import { int32From } from '../../model/tensor-arrays.js';
import { ByteWriter } from './byte-writer.js';
import { formatNumber, jsonKeys } from './format-rows.js';
import { formatCsvRows, type CsvColumn } from './wasm-format.js';

export type OutputValues = ArrayLike<number | bigint>;

/** Output columns for one model: where each value comes from. */
export interface ColumnSource {
  values: OutputValues;
  width: number;
  offset: number;
  /** A threshold flag (0 or 1). */
  isFlag: boolean;
  isFloat32: boolean;
  /** For a reject's reason: the model and the output column. */
  model: string;
  column: string;
  /** NaN and infinite values are written, not rejected (the manifest's `"nonFinite": "keep"`). */
  keepsNonFinite: boolean;
}

/** A typed array of `length` elements like `sample`, or a plain array when the runtime gave one. */
export function allocateLike(sample: OutputValues, length: number): OutputValues & { set?: (values: ArrayLike<number | bigint>, at: number) => void } {
  const typed = sample as unknown as { constructor: new (length: number) => OutputValues };
  return ArrayBuffer.isView(sample) ? new typed.constructor(length) : new Array<number>(length);
}

/** Integer values as int32, or undefined when one does not fit (those are written by the JavaScript loop). */
function asInt32(values: BigInt64Array | Int32Array): Int32Array | undefined {
  return values instanceof Int32Array ? values : int32From(values);
}

/**
 * The columns as the WebAssembly formatter takes them: float32 scores, flags, and integer labels that fit in int32
 * (a classifier's, an IsolationForest's); undefined when a column is of another kind.
 */
function wasmColumns(columns: readonly ColumnSource[]): CsvColumn[] | undefined {
  const labels = new Map<OutputValues, Int32Array | undefined>();
  const out: CsvColumn[] = [];
  for (const c of columns) {
    if (c.isFlag || c.isFloat32) {
      out.push({ values: c.values as Float32Array | Uint8Array, width: c.width, offset: c.offset });
      continue;
    }
    if (!(c.values instanceof BigInt64Array || c.values instanceof Int32Array)) return undefined;
    if (!labels.has(c.values)) labels.set(c.values, asInt32(c.values));
    const values = labels.get(c.values);
    if (values === undefined) return undefined;
    out.push({ values, width: c.width, offset: c.offset });
  }
  return out;
}

/** The rows to write: how many, and their pass-through bytes as the parser rendered them. */
type RowsToWrite = Pick<ParsedChunk, 'rows' | 'passthrough' | 'passthroughEnds'>;

/** Writes the chunk's rows as bytes: pass-through bytes as the parser rendered them, then the output columns. */
export function formatRows(parsed: RowsToWrite, plan: ScoringPlan, columns: ColumnSource[]): Uint8Array {
  const format = plan.outputFormat;
  const hasPassthrough = plan.passthrough.length > 0;
  const csvColumns = format === 'csv' ? wasmColumns(columns) : undefined;
  if (csvColumns !== undefined) {
    // The common case, in WebAssembly: the same bytes as the loop below.
    return formatCsvRows(parsed.passthrough, parsed.passthroughEnds, hasPassthrough, parsed.rows, csvColumns);
  }
  const out = new ByteWriter(parsed.passthrough.length + parsed.rows * (2 + columns.length * 22));
  const keys = format === 'ndjson' ? jsonKeys(plan.outputColumns.slice(plan.passthrough.length)) : [];
  const passthrough = parsed.passthrough;
  const ends = parsed.passthroughEnds;
  let from = 0;
  for (let row = 0; row < parsed.rows; row++) {
    if (format === 'ndjson') out.byte(0x7b);
    const to = ends[row]!;
    out.copy(passthrough, from, to);
    from = to;
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c]!;
      if (c > 0 || hasPassthrough) out.byte(0x2c);
      if (format === 'ndjson') out.ascii(keys[c]!);
      const value = column.values[row * column.width + column.offset]!;
      if (column.isFlag) out.byte(value === 1 ? 0x31 : 0x30);
      else if (column.isFloat32 && (format === 'csv' || Number.isFinite(value))) out.float32(value as number);
      else out.ascii(formatNumber(value, format));
    }
    if (format === 'ndjson') out.byte(0x7d);
    out.byte(0x0a);
  }
  return out.view();
}

/**
 * The rows whose output a model gave as NaN or infinite, and why, unless the model keeps such values. One loop
 * per column, of its own for the same reason as thresholdFlags.
 */
export function findNonFiniteRows(columns: readonly ColumnSource[], rows: number): Map<number, string> {
  const found = new Map<number, string>();
  for (const column of columns) {
    // Integers (a BigInt64Array or Int32Array of labels) are always finite; reading a BigInt64Array element by
    // element would also make a BigInt of each.
    if (column.isFlag || column.keepsNonFinite || column.values instanceof BigInt64Array || column.values instanceof Int32Array) continue;
    const { values, width, offset } = column;
    const isTyped = values instanceof Float32Array || values instanceof Float64Array;
    for (const row of isTyped ? nonFiniteRowsOf(values, width, offset, rows) : nonFiniteRowsOfAny(values, width, offset, rows)) {
      if (!found.has(row)) found.set(row, `model ${column.model}: output column '${column.column}' is ${String(values[row * width + offset])}`);
    }
  }
  return found;
}

/**
 * The rows whose value is NaN or infinite, in a loop of its own over a float array (`v - v` is 0 only for a
 * finite v): read through the mixed ArrayLike of the caller, every element was boxed as a heap number.
 */
function nonFiniteRowsOf(values: Float32Array | Float64Array, width: number, offset: number, rows: number): number[] {
  const found: number[] = [];
  for (let row = 0; row < rows; row++) {
    const v = values[row * width + offset]!;
    if (v - v !== 0) found.push(row);
  }
  return found;
}

/** The same for a plain array, whose elements may be of any kind (only numbers count). */
function nonFiniteRowsOfAny(values: OutputValues, width: number, offset: number, rows: number): number[] {
  const found: number[] = [];
  for (let row = 0; row < rows; row++) {
    const v = values[row * width + offset];
    if (typeof v === 'number' && !Number.isFinite(v)) found.push(row);
  }
  return found;
}

/** The rows not in `dropped`, as formatRows takes them: pass-through bytes and every column's values. */
export function withoutRows(parsed: ParsedChunk, columns: readonly ColumnSource[], dropped: ReadonlyMap<number, string>): { rows: RowsToWrite; columns: ColumnSource[] } {
  const kept: number[] = [];
  for (let row = 0; row < parsed.rows; row++) if (!dropped.has(row)) kept.push(row);
  const ends = new Int32Array(kept.length);
  const pieces: Uint8Array[] = [];
  let length = 0;
  for (const [k, row] of kept.entries()) {
    const piece = parsed.passthrough.subarray(row === 0 ? 0 : parsed.passthroughEnds[row - 1]!, parsed.passthroughEnds[row]!);
    pieces.push(piece);
    length += piece.length;
    ends[k] = length;
  }
  const passthrough = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    passthrough.set(piece, at);
    at += piece.length;
  }
  const keptColumns = columns.map((column) => {
    const values = allocateLike(column.values, kept.length) as (number | bigint)[];
    for (const [k, row] of kept.entries()) values[k] = column.values[row * column.width + column.offset]!;
    return { ...column, values, width: 1, offset: 0 };
  });
  return { rows: { rows: kept.length, passthrough, passthroughEnds: ends }, columns: keptColumns };
}
