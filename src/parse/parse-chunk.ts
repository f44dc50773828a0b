/**
 * Turns a chunk's bytes into model-ready typed arrays, the rendered pass-through fields of every accepted row,
 * and a reject for every record that cannot be scored. CSV fields are read by csv-parse (the reference parser);
 * NDJSON lines by JSON.parse. Every record ends as exactly one accepted row or one reject.
 */

import { parse as parseCsv, type Options } from 'csv-parse/sync';
import type { BoundInput, ScoringPlan, TensorType } from '../plan.js';
import { formatPassthroughValue, formatReject } from '../output/format-rows.js';
import { parseNumberField } from './parse-number.js';
import { findRecordSpans, type RecordSpans } from './record-spans.js';

export type FeatureArray = Float32Array | Float64Array | BigInt64Array | Int32Array;

export interface ParsedChunk {
  /** Records seen (blank lines excluded). */
  rowsIn: number;
  /** Records accepted; the feature arrays hold this many rows. */
  rows: number;
  /** Per model, per input: rows x width values, row-major. */
  features: FeatureArray[][];
  /** Per accepted row: its pass-through fields, already rendered for the output format and joined. */
  passthrough: string[];
  /** The original text of an accepted row, so that a failed inference can still reject it. */
  recordOf: (row: number) => string;
  /** Per accepted row: its line number. */
  lines: number[];
  /** Rendered rejects-file lines. */
  rejects: string[];
}

const CSV_OPTIONS: Options = {
  relax_column_count: true,
  skip_empty_lines: true,
  record_delimiter: ['\r\n', '\n'],
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

function allocate(type: TensorType, length: number): FeatureArray {
  switch (type) {
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
    case 'int64':
      return new BigInt64Array(length);
    case 'int32':
      return new Int32Array(length);
  }
}

const NON_FINITE = /^[ \t]*[+-]?(?:nan|inf|infinity)[ \t]*$/i;

/** Stores one feature; returns a reason when the value cannot be used. */
function storeFeature(array: FeatureArray, at: number, value: number | undefined, input: BoundInput, column: string, raw: unknown): string | undefined {
  let number = value;
  if (number === undefined) {
    if (input.fill === undefined) return `column '${column}': missing value`;
    number = input.fill;
  } else if (!Number.isFinite(number)) {
    const isNonFinite = !Number.isNaN(number) || (typeof raw === 'string' && NON_FINITE.test(raw));
    if (!isNonFinite) return `column '${column}': '${String(raw)}' is not a number`;
    if (input.fill === undefined) return `column '${column}': '${String(raw)}' is not finite`;
    number = input.fill;
  }
  if (array instanceof BigInt64Array) {
    if (!Number.isSafeInteger(number)) return `column '${column}': '${String(raw)}' is not an integer`;
    array[at] = BigInt(number);
  } else if (array instanceof Int32Array) {
    if (!Number.isInteger(number) || number > 2147483647 || number < -2147483648) {
      return `column '${column}': '${String(raw)}' is not a 32-bit integer`;
    }
    array[at] = number;
  } else {
    array[at] = number;
  }
  return undefined;
}

class ChunkBuilder {
  readonly features: FeatureArray[][];
  readonly passthrough: string[] = [];
  /** Per accepted row: its record's position among the chunk's records. */
  readonly sources: number[] = [];
  readonly lines: number[] = [];
  readonly rejects: string[] = [];
  rows = 0;
  rowsIn = 0;

  constructor(
    readonly plan: ScoringPlan,
    capacity: number,
    readonly textOf: (record: number) => string,
  ) {
    this.features = plan.models.map((model) => model.inputs.map((input) => allocate(input.type, capacity * input.columns.length)));
  }

  reject(line: number, reason: string, record: string): void {
    this.rowsIn++;
    this.rejects.push(formatReject(line, reason, record));
  }

  /** Adds a record whose fields were read; `valueOf(input, k)` gives the k-th feature's raw value. */
  accept(line: number, record: number, passthrough: string, valueOf: (input: BoundInput, k: number, column: string) => { value: number | undefined; raw: unknown }): void {
    const row = this.rows;
    const models = this.plan.models;
    for (let m = 0; m < models.length; m++) {
      const inputs = models[m]!.inputs;
      for (let i = 0; i < inputs.length; i++) {
        const input = inputs[i]!;
        const array = this.features[m]![i]!;
        const width = input.columns.length;
        for (let k = 0; k < width; k++) {
          const column = input.columns[k]!;
          const { value, raw } = valueOf(input, k, column);
          const reason = storeFeature(array, row * width + k, value, input, column, raw);
          if (reason !== undefined) {
            this.reject(line, reason, this.textOf(record));
            return;
          }
        }
      }
    }
    this.rowsIn++;
    this.rows++;
    this.passthrough.push(passthrough);
    this.sources.push(record);
    this.lines.push(line);
  }

  finish(): ParsedChunk {
    const features = this.plan.models.map((model, m) =>
      model.inputs.map((input, i) => this.features[m]![i]!.subarray(0, this.rows * input.columns.length) as FeatureArray),
    );
    const { sources, textOf } = this;
    return {
      rowsIn: this.rowsIn,
      rows: this.rows,
      features,
      passthrough: this.passthrough,
      recordOf: (row) => textOf(sources[row]!),
      lines: this.lines,
      rejects: this.rejects,
    };
  }
}

function recordText(bytes: Uint8Array, spans: RecordSpans, r: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + spans.starts[r]!, spans.ends[r]! - spans.starts[r]!).toString('utf8');
}

/** Reads the fields of every record: the whole chunk at once when it is well-formed, else record by record. */
function readCsvRecords(bytes: Uint8Array, spans: RecordSpans): (string[] | string)[] {
  try {
    const text = utf8.decode(bytes);
    const records = parseCsv(text, CSV_OPTIONS) as string[][];
    if (records.length === spans.count) return records;
  } catch {
    // Fall through: find the bad records one by one.
  }
  const out: (string[] | string)[] = [];
  for (let r = 0; r < spans.count; r++) {
    const slice = bytes.subarray(spans.starts[r]!, spans.ends[r]!);
    let text: string;
    try {
      text = utf8.decode(slice);
    } catch {
      out.push('invalid UTF-8');
      continue;
    }
    try {
      const parsed = parseCsv(text, CSV_OPTIONS) as string[][];
      out.push(parsed.length === 1 && parsed[0] !== undefined ? parsed[0] : `not one CSV record (${parsed.length} found)`);
    } catch (error) {
      out.push(`malformed CSV: ${(error as Error).message.replace(/ at line \d+.*$/, '')}`);
    }
  }
  return out;
}

export function parseCsvChunk(bytes: Uint8Array, firstLine: number, plan: ScoringPlan): ParsedChunk {
  const spans = findRecordSpans(bytes, 'csv', firstLine);
  const builder = new ChunkBuilder(plan, spans.count, (r) => recordText(bytes, spans, r));
  const records = readCsvRecords(bytes, spans);
  const format = plan.outputFormat;
  for (let r = 0; r < spans.count; r++) {
    const line = spans.lines[r]!;
    const fields = records[r]!;
    if (typeof fields === 'string') {
      builder.reject(line, fields, builder.textOf(r));
      continue;
    }
    if (fields.length !== plan.fieldCount) {
      builder.reject(line, `expected ${plan.fieldCount} fields, got ${fields.length}`, builder.textOf(r));
      continue;
    }
    let passthrough = '';
    for (let p = 0; p < plan.passthrough.length; p++) {
      if (p > 0) passthrough += ',';
      passthrough += formatPassthroughValue(fields[plan.passthrough[p]!.fieldIndex], format);
    }
    builder.accept(line, r, passthrough, (input, k) => {
      const raw = fields[input.fieldIndexes[k]!]!;
      return { value: parseNumberField(raw), raw };
    });
  }
  return builder.finish();
}

export function parseNdjsonChunk(bytes: Uint8Array, firstLine: number, plan: ScoringPlan): ParsedChunk {
  const spans = findRecordSpans(bytes, 'ndjson', firstLine);
  const builder = new ChunkBuilder(plan, spans.count, (r) => recordText(bytes, spans, r));
  const format = plan.outputFormat;
  for (let r = 0; r < spans.count; r++) {
    const line = spans.lines[r]!;
    const slice = bytes.subarray(spans.starts[r]!, spans.ends[r]!);
    let text: string;
    try {
      text = utf8.decode(slice);
    } catch {
      builder.reject(line, 'invalid UTF-8', Buffer.from(slice).toString('utf8'));
      continue;
    }
    if (/^\s*$/.test(text)) {
      continue;
    }
    let object: unknown;
    try {
      object = JSON.parse(text);
    } catch (error) {
      builder.reject(line, `not JSON: ${(error as Error).message}`, text);
      continue;
    }
    if (object === null || typeof object !== 'object' || Array.isArray(object)) {
      builder.reject(line, 'not a JSON object', text);
      continue;
    }
    const row = object as Record<string, unknown>;
    let passthrough = '';
    for (let p = 0; p < plan.passthrough.length; p++) {
      if (p > 0) passthrough += ',';
      const name = plan.passthrough[p]!.name;
      const value = row[name] as string | number | boolean | null | undefined | object;
      passthrough += format === 'csv' ? formatPassthroughValue(value, format) : `${JSON.stringify(name)}:${formatPassthroughValue(value, format)}`;
    }
    builder.accept(line, r, passthrough, (_input, _k, column) => {
      const raw = row[column];
      if (raw === undefined || raw === null) return { value: undefined, raw };
      if (typeof raw === 'number') return { value: raw, raw };
      if (typeof raw === 'string') return { value: parseNumberField(raw), raw };
      return { value: Number.NaN, raw: JSON.stringify(raw) };
    });
  }
  return builder.finish();
}
