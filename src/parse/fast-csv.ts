/**
 * The fast CSV path. Parsing is the run's hot spot (csv-parse: about 1.2 s per 100k rows x 17 columns on one
 * core, against about 0.2 s of inference), so this reads fields as byte ranges and writes numbers straight into
 * the chunk's Float32Array, without building a string or an array per row.
 *
 * It handles the common case only. Any record it is not sure of (a quote where it does not belong, a field
 * count that differs, a feature that is quoted, empty, non-decimal, or too long to convert exactly, an
 * integer-typed input) is handed whole to the reference path (csv-parse), so both give the same numbers and
 * the same rejects; test/unit/fast-csv.test.ts checks that on a conformance corpus.
 */

import { isUtf8 } from 'node:buffer';
import type { ScoringPlan } from '../plan.js';
import { ChunkBuilder, type ParsedChunk } from './chunk-builder.js';
import { addCsvRecord, parseCsvChunk, readCsvRecord, recordText } from './parse-chunk.js';
import { findRecordSpans } from './record-spans.js';

const COMMA = 0x2c;
const QUOTE = 0x22;
const NOT_FAST = -0.5; // Any negative count: the record goes to the reference path.

// 10^0 .. 10^22 are exact doubles: m * 10^e and m / 10^e, with m < 2^53, are then correctly rounded (Clinger).
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/**
 * The value of bytes[start, end) when it is a plain decimal that converts exactly here, else NaN (meaning: let
 * the reference parser decide). Gives the same double as Number(text) for every input it accepts.
 */
export function parseDecimalBytes(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  let isNegative = false;
  let c = bytes[i];
  if (c === 0x2d) {
    isNegative = true;
    i++;
  } else if (c === 0x2b) {
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let exponent = 0;
  while (i < end && (c = bytes[i]!) >= 0x30 && c <= 0x39) {
    mantissa = mantissa * 10 + (c - 0x30);
    digits++;
    i++;
  }
  if (i < end && bytes[i] === 0x2e) {
    i++;
    while (i < end && (c = bytes[i]!) >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      exponent--;
      i++;
    }
  }
  if (digits === 0 || digits > 15) return Number.NaN;
  if (i < end && (bytes[i] === 0x65 || bytes[i] === 0x45)) {
    i++;
    let isExponentNegative = false;
    if (bytes[i] === 0x2d) {
      isExponentNegative = true;
      i++;
    } else if (bytes[i] === 0x2b) {
      i++;
    }
    const exponentStart = i;
    let value = 0;
    while (i < end && (c = bytes[i]!) >= 0x30 && c <= 0x39 && value < 1000) {
      value = value * 10 + (c - 0x30);
      i++;
    }
    if (i === exponentStart) return Number.NaN;
    exponent += isExponentNegative ? -value : value;
  }
  if (i !== end) return Number.NaN;
  let result: number;
  if (exponent === 0) result = mantissa;
  else if (exponent > 0 && exponent <= 22) result = mantissa * POWERS_OF_TEN[exponent]!;
  else if (exponent < 0 && exponent >= -22) result = mantissa / POWERS_OF_TEN[-exponent]!;
  else return Number.NaN;
  return isNegative ? -result : result;
}

/**
 * Finds the fields of the record bytes[start, end): their byte ranges and whether each was quoted (1) or
 * quoted with doubled quotes inside (2). Returns the field count, or a negative number when the record is
 * not plain RFC 4180 or has more fields than expected.
 */
function scanFields(bytes: Buffer, start: number, end: number, starts: Int32Array, ends: Int32Array, quoted: Uint8Array, maxFields: number): number {
  let f = 0;
  let pos = start;
  for (;;) {
    if (f === maxFields) return NOT_FAST;
    if (pos < end && bytes[pos] === QUOTE) {
      let search = pos + 1;
      let kind = 1;
      for (;;) {
        const close = bytes.indexOf(QUOTE, search);
        if (close === -1 || close >= end) return NOT_FAST;
        if (close + 1 < end && bytes[close + 1] === QUOTE) {
          kind = 2;
          search = close + 2;
          continue;
        }
        starts[f] = pos + 1;
        ends[f] = close;
        quoted[f] = kind;
        pos = close + 1;
        break;
      }
      if (pos === end) return f + 1;
      if (bytes[pos] !== COMMA) return NOT_FAST;
      pos++;
      f++;
      continue;
    }
    let p = pos;
    while (p < end) {
      const c = bytes[p];
      if (c === COMMA) break;
      if (c === QUOTE) return NOT_FAST;
      p++;
    }
    starts[f] = pos;
    ends[f] = p;
    quoted[f] = 0;
    if (p === end) return f + 1;
    pos = p + 1;
    f++;
  }
}

/** Whether every model input is floating-point, the only kind the fast path writes. */
function hasOnlyFloatInputs(plan: ScoringPlan): boolean {
  return plan.models.every((model) => model.inputs.every((input) => input.type === 'float32' || input.type === 'float64'));
}

export function parseCsvChunkFast(chunk: Uint8Array, firstLine: number, plan: ScoringPlan): ParsedChunk {
  const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  // Invalid UTF-8 or integer inputs: the reference path handles the whole chunk.
  if (!hasOnlyFloatInputs(plan) || !isUtf8(bytes)) return parseCsvChunk(chunk, firstLine, plan);
  const isCsvOutput = plan.outputFormat === 'csv';
  const spans = findRecordSpans(bytes, 'csv', firstLine);
  const builder = new ChunkBuilder(plan, spans.count, (r) => recordText(bytes, spans, r));
  const fieldCount = plan.fieldCount;
  const starts = new Int32Array(fieldCount);
  const ends = new Int32Array(fieldCount);
  const quoted = new Uint8Array(fieldCount);
  const models = plan.models;
  const passthrough = plan.passthrough;

  records: for (let r = 0; r < spans.count; r++) {
    const line = spans.lines[r]!;
    const count = scanFields(bytes, spans.starts[r]!, spans.ends[r]!, starts, ends, quoted, fieldCount);
    if (count !== fieldCount) {
      addCsvRecord(builder, line, r, readCsvRecord(bytes, spans, r));
      continue;
    }
    const row = builder.rows;
    for (let m = 0; m < models.length; m++) {
      const inputs = models[m]!.inputs;
      const arrays = builder.features[m]!;
      for (let i = 0; i < inputs.length; i++) {
        const indexes = inputs[i]!.fieldIndexes;
        const array = arrays[i] as Float32Array | Float64Array;
        const width = indexes.length;
        const base = row * width;
        for (let k = 0; k < width; k++) {
          const f = indexes[k]!;
          const value = quoted[f] === 0 ? parseDecimalBytes(bytes, starts[f]!, ends[f]!) : Number.NaN;
          if (value !== value) {
            addCsvRecord(builder, line, r, readCsvRecord(bytes, spans, r));
            continue records;
          }
          array[base + k] = value;
        }
      }
    }
    for (let p = 0; p < passthrough.length; p++) {
      const f = passthrough[p]!.fieldIndex;
      if (isCsvOutput) {
        builder.addPassthroughBytes(p, bytes, starts[f]!, ends[f]!, quoted[f]!);
      } else {
        const value = bytes.toString('utf8', starts[f]!, ends[f]!);
        builder.addPassthrough(p, quoted[f] === 2 ? value.replaceAll('""', '"') : value);
      }
    }
    builder.commit(line, r);
  }
  return builder.finish();
}
