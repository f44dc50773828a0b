/**
 * The fast CSV path. Parsing is the run's hot spot (csv-parse: about 1.2 s per 100k rows x 17 columns on one
 * core, against about 0.2 s of inference), so each record's bytes are read once, left to right, by the scanner
 * in wasm-scan.ts (WebAssembly), guided by a per-field table of roles (feature, pass-through, both, neither)
 * made once per chunk: a feature's digits are turned into a number while the field is scanned (no string,
 * unless it has more than 15 digits or a large exponent: then the text's correctly rounded value, as Number()
 * gives it), a pass-through field is noted as a byte range. An accepted record's numbers are then stored into
 * every feature array that reads them, and its pass-through ranges copied into the output bytes, four bytes at
 * a time. Nothing is allocated per row.
 *
 * It handles the common case only. Any record it is not sure of (a quote where it does not belong, a field
 * count that differs, a feature that is not a plain decimal (or empty without a fill), a float32 feature that
 * float32 would hold as infinity, a lone CR outside quotes, an integer-typed input) is handed whole to the
 * reference path (csv-parse), so both give the same numbers and the same rejects; test/unit/fast-csv.test.ts
 * checks that on a conformance corpus.
 */

import { isUtf8 } from 'node:buffer';
import type { ScoringPlan } from '../../model/scoring-plan.js';
import { ChunkBuilder, type ParsedChunk } from './chunk-builder.js';
import { addCsvRecord, parseCsvChunk, privateCopy, readCsvRecord, recordText } from './parse-chunk.js';
import type { Scratch } from './scratch.js';
import { findAndScanRecords, scanRecords, type ScanLayout } from './wasm-scan.js';

/** Field roles, as bits: a field can be both a feature and passed through, or neither. */
const FEATURE = 1;
const PASSTHROUGH = 2;

/** A pass-through field the scanner found unquoted (1: quoted, 2: quoted and needing its quotes on output). */
const UNQUOTED = 0;

const SINGLE_NUMBER: ScanLayout = {
  roles: Uint8Array.of(FEATURE),
  passFields: new Int32Array(0),
  arrayFields: [],
  arrayFills: new Float64Array(0),
  arrayIsFloat64: [],
};

/**
 * The value of bytes[start, end) when it is a plain decimal that converts exactly here, else NaN (meaning: let
 * the reference parser decide). Gives the same double as Number(text) for every input it accepts.
 */
export function parseDecimalBytes(bytes: Uint8Array, start: number, end: number): number {
  const spans = { count: 1, starts: Int32Array.of(start), ends: Int32Array.of(end), lines: Int32Array.of(1) };
  const scanned = scanRecords(bytes, spans, SINGLE_NUMBER, false);
  return scanned.accepted[0] === 1 ? scanned.values[0]! : Number.NaN;
}

/** Whether every model input is floating-point, the only kind the fast path writes. */
function hasOnlyFloatInputs(plan: ScoringPlan): boolean {
  return plan.models.every((model) => model.inputs.every((input) => input.type === 'float32' || input.type === 'float64'));
}

/** The field roles, and every model input in plan order: the fields feeding its columns, its fill, its type. */
function scanLayout(plan: ScoringPlan): ScanLayout {
  const roles = new Uint8Array(plan.fieldCount);
  const passFields = Int32Array.from(plan.passthrough, (p) => p.fieldIndex);
  for (const f of passFields) roles[f] = PASSTHROUGH;
  const inputs = plan.models.flatMap((model) => model.inputs);
  const arrayFields = inputs.map((input) => Int32Array.from(input.fieldIndexes));
  for (const fields of arrayFields) for (const f of fields) roles[f]! |= FEATURE;
  return {
    roles,
    passFields,
    arrayFields,
    // No fill is NaN to the scanner: a manifest's fill is a finite number.
    arrayFills: Float64Array.from(inputs, (input) => input.fill ?? Number.NaN),
    arrayIsFloat64: inputs.map((input) => input.type === 'float64'),
  };
}

/**
 * `chunk` may be shared memory: the scanner reads a copy in its own memory, and only records it hands over are
 * read from `chunk` itself (the whole chunk is copied first when the reference path takes it all).
 */
export function parseCsvChunkFast(chunk: Uint8Array, firstLine: number, plan: ScoringPlan, scratch?: Scratch): ParsedChunk {
  const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  // Invalid UTF-8, integer inputs or no header: the reference path handles the whole chunk.
  if (plan.fieldCount === 0 || !hasOnlyFloatInputs(plan) || !isUtf8(bytes)) return parseCsvChunk(privateCopy(chunk), firstLine, plan, scratch);
  const isCsvOutput = plan.outputFormat === 'csv';
  const layout = scanLayout(plan);
  const { spans, scanned } = findAndScanRecords(bytes, firstLine, layout, isCsvOutput);
  const builder = new ChunkBuilder(plan, spans.count, (r) => recordText(bytes, spans, r), scratch);
  // Every model input in turn, in the layout's order.
  const arrays = builder.features.flat() as (Float32Array | Float64Array)[];

  if (isCsvOutput && scanned.acceptedCount === spans.count) {
    // The common case: every record read, in place; the scanner's arrays are the chunk's, copied once.
    for (let a = 0; a < arrays.length; a++) arrays[a]!.set(scanned.arrays[a]!);
    builder.acceptAll(scanned.passthrough!, scanned.passthroughEnds!, spans.lines);
    return builder.finish();
  }
  const { accepted, starts, ends, quoting } = scanned;
  const fieldCount = layout.roles.length;
  const passFields = layout.passFields;
  const out = builder.passthrough;
  for (let r = 0; r < spans.count; r++) {
    if (accepted[r] !== 1) {
      addCsvRecord(builder, spans.lines[r]!, r, readCsvRecord(bytes, spans, r));
      continue;
    }
    const row = builder.rows;
    for (let a = 0; a < arrays.length; a++) {
      const width = layout.arrayFields[a]!.length;
      const from = scanned.arrays[a]!;
      const to = arrays[a]!;
      for (let k = 0; k < width; k++) to[row * width + k] = from[r * width + k]!;
    }
    if (isCsvOutput) {
      const passEnds = scanned.passthroughEnds!;
      out.copy(scanned.passthrough!, r === 0 ? 0 : passEnds[r - 1]!, passEnds[r]!);
    } else {
      for (let p = 0; p < passFields.length; p++) {
        const f = r * fieldCount + passFields[p]!;
        const value = bytes.toString('utf8', starts[f]!, ends[f]!);
        builder.addPassthrough(p, quoting[f] === UNQUOTED ? value : value.replaceAll('""', '"'));
      }
    }
    builder.commit(spans.lines[r]!, r);
  }
  return builder.finish();
}
