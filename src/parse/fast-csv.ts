/**
 * The fast CSV path. Parsing is the run's hot spot (csv-parse: about 1.2 s per 100k rows x 17 columns on one
 * core, against about 0.2 s of inference), so this reads each record's bytes once, left to right, guided by a
 * per-field table of roles (feature, pass-through, both, neither) made once per chunk: a feature's digits are
 * turned into a number while the field is scanned (no second read, no string, unless it has more than 15
 * digits or a large exponent: then Number() of its text), a pass-through field is noted
 * as a byte range. An accepted record's numbers are then stored into every feature array that reads them, and
 * its pass-through ranges copied into the output bytes, four bytes at a time. Nothing is allocated per row.
 *
 * It handles the common case only. Any record it is not sure of (a quote where it does not belong, a field
 * count that differs, a feature that is not a plain decimal (or empty without a fill), a lone CR
 * outside quotes, an integer-typed input) is handed whole to the reference path (csv-parse), so both give the
 * same numbers and the same rejects; test/unit/fast-csv.test.ts checks that on a conformance corpus.
 */

import { isUtf8 } from 'node:buffer';
import type { ScoringPlan } from '../plan.js';
import { ChunkBuilder, type ParsedChunk } from './chunk-builder.js';
import { addCsvRecord, parseCsvChunk, readCsvRecord, recordText } from './parse-chunk.js';
import { findRecordSpans } from './record-spans.js';

const COMMA = 0x2c;
const QUOTE = 0x22;
const NEWLINE = 0x0a;
const RETURN = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

/** Field roles, as bits: a field can be both a feature and passed through, or neither. */
const FEATURE = 1;
const PASSTHROUGH = 2;

/** How a pass-through field was written: plain, quoted, or quoted and needing its quotes on output too. */
const UNQUOTED = 0;
const QUOTED = 1;
const REQUOTED = 2;

// 10^0 .. 10^22 are exact doubles: m * 10^e and m / 10^e, with m < 2^53, are then correctly rounded (Clinger).
const POWERS_OF_TEN = Float64Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** Where scanRecord leaves one record's fields. */
interface RecordFields {
  /** Per field: FEATURE and/or PASSTHROUGH. */
  roles: Uint8Array;
  /** Per feature field: its value. */
  values: Float64Array;
  /** Per pass-through field: its content's byte range (quotes excluded) and how it was quoted. */
  starts: Int32Array;
  ends: Int32Array;
  quoting: Uint8Array;
}

function recordFields(roles: Uint8Array): RecordFields {
  const count = roles.length;
  return { roles, values: new Float64Array(count), starts: new Int32Array(count), ends: new Int32Array(count), quoting: new Uint8Array(count) };
}

/**
 * Reads the record bytes[start, end) in one pass into `into`. Returns false, leaving the record to the
 * reference path, unless the record has exactly as many fields as there are roles, every feature is a plain
 * decimal (optional sign, digits with an optional fraction, optional exponent; quotes, spaces and tabs around
 * it allowed) or empty (a missing value, marked NaN), and every other field is plain
 * RFC 4180 without a lone CR. A feature with at most 15 digits and an exponent within +-22 is computed from its
 * digits: mantissa and power of ten are then exact doubles, so the quotient or product is the same double as
 * Number(text). Any other takes Number() of its text.
 */
function scanRecord(bytes: Buffer, start: number, end: number, into: RecordFields): boolean {
  const { roles, values, starts, ends, quoting } = into;
  const fieldCount = roles.length;
  let pos = start;
  let f = 0;
  // One field per turn; pos ends on the comma after the field, or on `end`.
  for (;;) {
    const role = roles[f]!;
    const fieldStart = pos;
    let quote = UNQUOTED;
    let c = 0;
    if (role & FEATURE) {
      // Quotes around the number and spaces or tabs around it are allowed, as the reference allows them; the
      // common case (none of them) costs one comparison on each side.
      c = pos < end ? bytes[pos]! : COMMA;
      if (c === QUOTE || c === SPACE || c === TAB) {
        if (c === QUOTE) {
          quote = QUOTED;
          pos++;
        }
        while (pos < end && ((c = bytes[pos]!) === SPACE || c === TAB)) pos++;
      }
      const numberStart = pos;
      let isNegative = false;
      if (pos < end && ((c = bytes[pos]!) === 0x2d || c === 0x2b)) {
        isNegative = c === 0x2d;
        pos++;
      }
      let mantissa = 0;
      let digits = 0;
      let exponent = 0;
      while (pos < end && (c = bytes[pos]!) >= 0x30 && c <= 0x39) {
        mantissa = mantissa * 10 + (c - 0x30);
        digits++;
        pos++;
      }
      if (pos < end && c === 0x2e) {
        pos++;
        while (pos < end && (c = bytes[pos]!) >= 0x30 && c <= 0x39) {
          mantissa = mantissa * 10 + (c - 0x30);
          digits++;
          exponent--;
          pos++;
        }
      }
      if (digits > 0 && pos < end && (c === 0x65 || c === 0x45)) {
        pos++;
        let isExponentNegative = false;
        if (pos < end && ((c = bytes[pos]!) === 0x2d || c === 0x2b)) {
          isExponentNegative = c === 0x2d;
          pos++;
        }
        const exponentStart = pos;
        let value = 0;
        while (pos < end && (c = bytes[pos]!) >= 0x30 && c <= 0x39) {
          // Capped: past 999 the value only matters as out of range.
          if (value < 1000) value = value * 10 + (c - 0x30);
          pos++;
        }
        if (pos === exponentStart) return false;
        exponent += isExponentNegative ? -value : value;
      }
      const numberEnd = pos;
      if (pos < end && bytes[pos] !== COMMA) {
        while (pos < end && ((c = bytes[pos]!) === SPACE || c === TAB)) pos++;
        if (quote === QUOTED) {
          if (pos === end || bytes[pos] !== QUOTE) return false;
          pos++;
        }
        if (pos < end && bytes[pos] !== COMMA) return false;
      } else if (quote === QUOTED) {
        return false;
      }
      if (digits === 0) {
        // Nothing but spaces is a missing value (NaN marks it: no number parsed here is NaN); a lone sign or
        // point is not a number, and the reference path words that reject.
        if (numberEnd !== numberStart) return false;
        values[f] = Number.NaN;
      } else if (digits > 15 || exponent > 22 || exponent < -22) {
        // Not exact in doubles this way; the text is a plain decimal, so Number() of it is the reference's
        // value. Real exports write 17-digit doubles (0.20199999999999999) often enough that handing each such
        // record to csv-parse made a file of them 10 times slower.
        const value = Number(bytes.toString('latin1', numberStart, numberEnd));
        // Out of a double's range: the reference path decides what that record becomes.
        if (!Number.isFinite(value)) return false;
        values[f] = value;
      } else {
        let result = mantissa;
        if (exponent > 0) result = mantissa * POWERS_OF_TEN[exponent]!;
        else if (exponent < 0) result = mantissa / POWERS_OF_TEN[-exponent]!;
        values[f] = isNegative ? -result : result;
      }
    } else if (pos < end && bytes[pos] === QUOTE) {
      // A quoted field ends at a quote that is not doubled, and must be followed by a comma or the end. On
      // output it keeps its quotes when it holds a quote, comma, CR or LF (as quoteCsvField would write it).
      quote = QUOTED;
      pos++;
      for (;;) {
        if (pos === end) return false;
        c = bytes[pos]!;
        if (c === QUOTE) {
          if (pos + 1 < end && bytes[pos + 1] === QUOTE) {
            quote = REQUOTED;
            pos += 2;
            continue;
          }
          break;
        }
        if (c === COMMA || c === NEWLINE || c === RETURN) quote = REQUOTED;
        pos++;
      }
      pos++;
      if (pos < end && bytes[pos] !== COMMA) return false;
    } else {
      // A quote in an unquoted field is malformed; a lone CR would need quoting on output: both are rare.
      while (pos < end && (c = bytes[pos]!) !== COMMA) {
        if (c === QUOTE || c === RETURN) return false;
        pos++;
      }
    }
    if (role & PASSTHROUGH) {
      starts[f] = quote === UNQUOTED ? fieldStart : fieldStart + 1;
      ends[f] = quote === UNQUOTED ? pos : pos - 1;
      quoting[f] = quote;
    }
    f++;
    if (pos === end) return f === fieldCount;
    if (f === fieldCount) return false;
    pos++;
  }
}

const singleField = recordFields(Uint8Array.of(FEATURE));

/**
 * The value of bytes[start, end) when it is a plain decimal that converts exactly here, else NaN (meaning: let
 * the reference parser decide). Gives the same double as Number(text) for every input it accepts.
 */
export function parseDecimalBytes(bytes: Uint8Array, start: number, end: number): number {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return scanRecord(buffer, start, end, singleField) ? singleField.values[0]! : Number.NaN;
}

/** Copies source[from, to) to target at `at`, four bytes at a time: about 3x faster than byte by byte here. */
function copyBytes(source: DataView, from: number, to: number, target: DataView, at: number): void {
  let i = from;
  for (; i + 4 <= to; i += 4, at += 4) target.setUint32(at, source.getUint32(i));
  for (; i < to; i++, at++) target.setUint8(at, source.getUint8(i));
}

/** Whether every model input is floating-point, the only kind the fast path writes. */
function hasOnlyFloatInputs(plan: ScoringPlan): boolean {
  return plan.models.every((model) => model.inputs.every((input) => input.type === 'float32' || input.type === 'float64'));
}

export function parseCsvChunkFast(chunk: Uint8Array, firstLine: number, plan: ScoringPlan): ParsedChunk {
  const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  // Invalid UTF-8, integer inputs or no header: the reference path handles the whole chunk.
  if (plan.fieldCount === 0 || !hasOnlyFloatInputs(plan) || !isUtf8(bytes)) return parseCsvChunk(chunk, firstLine, plan);
  const isCsvOutput = plan.outputFormat === 'csv';
  const spans = findRecordSpans(bytes, 'csv', firstLine);
  const builder = new ChunkBuilder(plan, spans.count, (r) => recordText(bytes, spans, r));

  const roles = new Uint8Array(plan.fieldCount);
  const passFields = Int32Array.from(plan.passthrough, (p) => p.fieldIndex);
  for (const f of passFields) roles[f] = PASSTHROUGH;
  // Every model input in turn: its array, and the field feeding each of its columns.
  const arrays: (Float32Array | Float64Array)[] = [];
  const arrayFields: Int32Array[] = [];
  const arrayFills: (number | undefined)[] = [];
  for (let m = 0; m < plan.models.length; m++) {
    const inputs = plan.models[m]!.inputs;
    for (let i = 0; i < inputs.length; i++) {
      arrays.push(builder.features[m]![i] as Float32Array | Float64Array);
      arrayFields.push(Int32Array.from(inputs[i]!.fieldIndexes));
      arrayFills.push(inputs[i]!.fill);
      for (const f of inputs[i]!.fieldIndexes) roles[f]! |= FEATURE;
    }
  }
  const fields = recordFields(roles);
  const { values, starts, ends, quoting } = fields;
  const out = builder.passthrough;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let target = out.bytes;
  let targetView = new DataView(target.buffer, target.byteOffset, target.byteLength);

  for (let r = 0; r < spans.count; r++) {
    if (!scanRecord(bytes, spans.starts[r]!, spans.ends[r]!, fields)) {
      addCsvRecord(builder, spans.lines[r]!, r, readCsvRecord(bytes, spans, r));
      continue;
    }
    const row = builder.rows;
    let isUnfilled = false;
    for (let a = 0; a < arrays.length && !isUnfilled; a++) {
      const array = arrays[a]!;
      const sources = arrayFields[a]!;
      const width = sources.length;
      const base = row * width;
      for (let k = 0; k < width; k++) {
        const value = values[sources[k]!]!;
        if (value === value) array[base + k] = value;
        else if (arrayFills[a] !== undefined) array[base + k] = arrayFills[a]!;
        else {
          isUnfilled = true;
          break;
        }
      }
    }
    if (isUnfilled) {
      // A missing value without a fill: the reference path writes the reject (the row is not committed yet).
      addCsvRecord(builder, spans.lines[r]!, r, readCsvRecord(bytes, spans, r));
      continue;
    }
    if (isCsvOutput) {
      // Each field as quoteCsvField would write its value: its bytes as read, with their quotes if it needs them.
      let length = passFields.length;
      for (let p = 0; p < passFields.length; p++) length += ends[passFields[p]!]! - starts[passFields[p]!]! + 2;
      out.ensure(length);
      if (out.bytes !== target) {
        target = out.bytes;
        targetView = new DataView(target.buffer, target.byteOffset, target.byteLength);
      }
      let at = out.length;
      for (let p = 0; p < passFields.length; p++) {
        const f = passFields[p]!;
        const isRequoted = quoting[f] === REQUOTED;
        const from = isRequoted ? starts[f]! - 1 : starts[f]!;
        const to = isRequoted ? ends[f]! + 1 : ends[f]!;
        if (p > 0) target[at++] = COMMA;
        copyBytes(view, from, to, targetView, at);
        at += to - from;
      }
      out.length = at;
    } else {
      for (let p = 0; p < passFields.length; p++) {
        const f = passFields[p]!;
        const value = bytes.toString('utf8', starts[f]!, ends[f]!);
        builder.addPassthrough(p, quoting[f] === UNQUOTED ? value : value.replaceAll('""', '"'));
      }
    }
    builder.commit(spans.lines[r]!, r);
  }
  return builder.finish();
}
