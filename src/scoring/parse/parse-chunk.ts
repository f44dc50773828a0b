/**
 * Turns a chunk's bytes into model-ready typed arrays, the rendered pass-through fields of every accepted row,
 * and a reject for every record that cannot be scored. CSV fields are read by csv-parse (the reference parser);
 * NDJSON lines by JSON.parse. Every record ends as exactly one accepted row or one reject.
 */

import { isAscii } from 'node:buffer';
import type { Options } from 'csv-parse/sync';
import type { ScoringPlan } from '../../model/scoring-plan.js';
import { ChunkBuilder, type ParsedChunk } from './chunk-builder.js';
import { findNumberText } from './json-number-text.js';
import { parseNumberField } from './parse-number.js';
import { findRecordSpans, type RecordSpans } from './record-spans.js';
import { parseCsvText } from './reference-csv.js';
import type { Scratch } from './scratch.js';

export type { ParsedChunk } from './chunk-builder.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
// A BOM inside a CSV input is data (the splitter drops the input's own): TextDecoder would drop one that starts
// a chunk or a record read alone, where the fast path keeps it.
const csvUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const CSV_OPTIONS: Options = {
  relax_column_count: true,
  skip_empty_lines: true,
  record_delimiter: ['\r\n', '\n'],
};

/**
 * `bytes`, or a private copy when they are shared memory: the JavaScript parsers (NDJSON, csv-parse) read
 * shared memory more slowly (the JavaScript CSV scan measured 13% slower on it).
 */
export function privateCopy(bytes: Uint8Array): Uint8Array {
  return bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes;
}

export function recordText(bytes: Uint8Array, spans: RecordSpans, r: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + spans.starts[r]!, spans.ends[r]! - spans.starts[r]!).toString('utf8');
}

/** Reads the fields of every record: the whole chunk at once when it is well-formed, else record by record. */
function readCsvRecords(bytes: Uint8Array, spans: RecordSpans): (string[] | string)[] {
  try {
    const text = csvUtf8.decode(bytes);
    const records = parseCsvText(text, CSV_OPTIONS) as string[][];
    if (records.length === spans.count) return records;
  } catch {
    // Fall through: find the bad records one by one.
  }
  return Array.from({ length: spans.count }, (_, r) => readCsvRecord(bytes, spans, r));
}

/** Reads one record's fields with csv-parse, or says why it cannot be read. */
export function readCsvRecord(bytes: Uint8Array, spans: RecordSpans, r: number): string[] | string {
  let text: string;
  try {
    text = csvUtf8.decode(bytes.subarray(spans.starts[r]!, spans.ends[r]!));
  } catch {
    return 'invalid UTF-8';
  }
  try {
    const parsed = parseCsvText(text, CSV_OPTIONS) as string[][];
    return parsed.length === 1 && parsed[0] !== undefined ? parsed[0] : `not one CSV record (${parsed.length} found)`;
  } catch (error) {
    return `malformed CSV: ${(error as Error).message.replace(/ at line \d+.*$/, '')}`;
  }
}

/** Accepts or rejects one CSV record whose fields were read (or whose reading failed, with the reason). */
export function addCsvRecord(builder: ChunkBuilder, line: number, r: number, fields: string[] | string): void {
  const plan = builder.plan;
  if (typeof fields === 'string') {
    builder.reject(line, fields, builder.textOf(r));
    return;
  }
  if (fields.length !== plan.fieldCount) {
    builder.reject(line, `expected ${plan.fieldCount} fields, got ${fields.length}`, builder.textOf(r));
    return;
  }
  for (let p = 0; p < plan.passthrough.length; p++) builder.addPassthrough(p, fields[plan.passthrough[p]!.fieldIndex]);
  builder.accept(line, r, (input, k) => {
    const raw = fields[input.fieldIndexes[k]!]!;
    return { value: parseNumberField(raw), raw };
  });
}

/** The reference CSV path: csv-parse reads every field. */
export function parseCsvChunk(bytes: Uint8Array, firstLine: number, plan: ScoringPlan, scratch?: Scratch): ParsedChunk {
  const spans = findRecordSpans(bytes, 'csv', firstLine);
  const builder = new ChunkBuilder(plan, spans.count, (r) => recordText(bytes, spans, r), scratch);
  const records = readCsvRecords(bytes, spans);
  for (let r = 0; r < spans.count; r++) addCsvRecord(builder, spans.lines[r]!, r, records[r]!);
  return builder.finish();
}

export function parseNdjsonChunk(bytes: Uint8Array, firstLine: number, plan: ScoringPlan, scratch?: Scratch): ParsedChunk {
  const spans = findRecordSpans(bytes, 'ndjson', firstLine);
  const builder = new ChunkBuilder(plan, spans.count, (r) => recordText(bytes, spans, r), scratch);
  // An ASCII chunk is decoded once, its lines cut from the string (byte and character offsets agree): one decoder
  // call per line measured about 16 ms per 100k rows.
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = isAscii(buffer) ? buffer.toString('latin1') : undefined;
  for (let r = 0; r < spans.count; r++) {
    const line = spans.lines[r]!;
    let text: string;
    if (ascii !== undefined) {
      text = ascii.slice(spans.starts[r]!, spans.ends[r]!);
    } else {
      const slice = bytes.subarray(spans.starts[r]!, spans.ends[r]!);
      try {
        text = utf8.decode(slice);
      } catch {
        builder.reject(line, 'invalid UTF-8', Buffer.from(slice).toString('utf8'));
        continue;
      }
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
    for (let p = 0; p < plan.passthrough.length; p++) {
      builder.addPassthrough(p, row[plan.passthrough[p]!.name] as string | number | boolean | null | undefined | object);
    }
    builder.accept(line, r, (input, _k, column) => {
      const raw = row[column];
      if (raw === undefined || raw === null) return { value: undefined, raw };
      if (typeof raw === 'number') {
        // The double may have lost what the input or a reject needs: an integer's digits past 2^53, the text of a
        // value beyond float32 or beyond a double.
        const needsSource = !Number.isFinite(raw) || (input.type === 'float32' ? !Number.isFinite(Math.fround(raw)) : input.type !== 'float64' && !Number.isSafeInteger(raw));
        return { value: raw, raw: needsSource ? (findNumberText(text, column) ?? raw) : raw };
      }
      if (typeof raw === 'string') return { value: parseNumberField(raw), raw };
      return { value: Number.NaN, raw: JSON.stringify(raw) };
    });
  }
  return builder.finish();
}
