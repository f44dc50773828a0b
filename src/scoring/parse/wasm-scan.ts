/**
 * The fast CSV path's record scanner (in the WebAssembly module of csv-wasm.ts). The same single left-to-right
 * pass in JavaScript took 35 ms per 100k rows of the fixture snapshot on one thread here, plus 14 ms storing
 * the features and copying the pass-through bytes; the scanner did all three in about 27 ms reading byte by
 * byte, and in about 18 ms since it finds each record's commas first with SIMD and reads short decimals a word
 * at a time (the whole fast path, record finding included: 32 -> 23-24 ms; bench/threads.mjs).
 *
 * One call scans every record of a chunk: the chunk's bytes (and its record spans, unless the module finds them
 * too) are copied into the module's memory, and the results are read from it through views that stay valid
 * until the next call in this thread.
 */

import { csvWasm, WasmLayout } from '../csv-wasm.js';
import type { RecordSpans } from './record-spans.js';

/** What the scanner needs to know of a plan (see fast-csv.ts). */
export interface ScanLayout {
  /** Per field: FEATURE (1) and/or PASSTHROUGH (2). */
  roles: Uint8Array;
  /** The pass-through fields, in output order. */
  passFields: Int32Array;
  /** Per model input array, in plan order: the fields feeding its columns, its fill (NaN: none), its type. */
  arrayFields: Int32Array[];
  arrayFills: Float64Array;
  arrayIsFloat64: boolean[];
}

/** What scanRecords leaves: per record r, and (without CSV pass-through) per field f at r * fieldCount + f. */
export interface ScannedRecords {
  /** Per record: 1 when it was read, 0 when the reference parser must read it. */
  accepted: Uint8Array;
  acceptedCount: number;
  /** Feature fields: the value, NaN when the field is empty. */
  values: Float64Array;
  /** Pass-through fields: the content's byte range (quotes excluded) and how it was quoted (0 plain, 1 quoted,
   * 2 quoted and needing its quotes on output). */
  starts: Int32Array;
  ends: Int32Array;
  quoting: Uint8Array;
  /** Per model input array: record r's features at r * width (undefined where the record was not accepted). */
  arrays: (Float32Array | Float64Array)[];
  /** With CSV pass-through: every accepted record's pass-through fields as CSV, and where each record's end. */
  passthrough: Uint8Array | undefined;
  passthroughEnds: Int32Array | undefined;
}

/**
 * Scans the records `spans` marks in `bytes`. With `isCsvPassthrough`, also writes the accepted records'
 * pass-through fields as CSV output bytes.
 */
export function scanRecords(bytes: Uint8Array, spans: RecordSpans, layout: ScanLayout, isCsvPassthrough: boolean): ScannedRecords {
  const wasm = csvWasm();
  const count = spans.count;
  const at = new WasmLayout(wasm);
  const bytesAt = at.take(bytes.length);
  const startsAt = at.take(4 * count);
  const endsAt = at.take(4 * count);
  const buffer = at.buffer();
  new Uint8Array(buffer, bytesAt, bytes.length).set(bytes);
  new Int32Array(buffer, startsAt, count).set(spans.starts.subarray(0, count));
  new Int32Array(buffer, endsAt, count).set(spans.ends.subarray(0, count));
  return scanInPlace(at, bytesAt, bytes.length, startsAt, endsAt, count, layout, isCsvPassthrough);
}

/** The chunk's bytes copied into the module's memory, and how many records they can hold at most. */
function copyIn(bytes: Uint8Array, at: WasmLayout): { bytesAt: number; capacity: number } {
  const bytesAt = at.take(bytes.length);
  new Uint8Array(at.buffer(), bytesAt, bytes.length).set(bytes);
  return { bytesAt, capacity: at.wasm.count_newlines(bytesAt, bytes.length) + 1 };
}

/**
 * The records of a CSV chunk, as findRecordSpans (record-spans.ts, the reference) finds them, by the module's
 * find_records. The spans are the caller's: copied out of the module's memory.
 */
export function findRecords(bytes: Uint8Array, firstLine: number): RecordSpans {
  const at = new WasmLayout(csvWasm());
  const { bytesAt, capacity } = copyIn(bytes, at);
  return spansOut(at, bytesAt, bytes.length, firstLine, capacity).spans;
}

function spansOut(at: WasmLayout, bytesAt: number, length: number, firstLine: number, capacity: number): { spans: RecordSpans; startsAt: number; endsAt: number } {
  const startsAt = at.take(4 * capacity);
  const endsAt = at.take(4 * capacity);
  const linesAt = at.take(4 * capacity);
  at.buffer();
  const count = at.wasm.find_records(bytesAt, length, firstLine, capacity, startsAt, endsAt, linesAt);
  const buffer = at.wasm.memory.buffer;
  const copy = (offset: number): Int32Array => new Int32Array(buffer, offset, count).slice();
  return { spans: { count, starts: copy(startsAt), ends: copy(endsAt), lines: copy(linesAt) }, startsAt, endsAt };
}

/**
 * findRecords and scanRecords in one visit to the module: the chunk's bytes are copied in once, and the scanner
 * reads the spans where find_records left them. Without this a JavaScript pass over every chunk's bytes found
 * the records first, and V8 compiled it during the timed work.
 */
export function findAndScanRecords(bytes: Uint8Array, firstLine: number, layout: ScanLayout, isCsvPassthrough: boolean): { spans: RecordSpans; scanned: ScannedRecords } {
  const at = new WasmLayout(csvWasm());
  const { bytesAt, capacity } = copyIn(bytes, at);
  const { spans, startsAt, endsAt } = spansOut(at, bytesAt, bytes.length, firstLine, capacity);
  return { spans, scanned: scanInPlace(at, bytesAt, bytes.length, startsAt, endsAt, spans.count, layout, isCsvPassthrough) };
}

/** scan_records over a chunk and spans already in the module's memory; `at` lays out the rest after them. */
function scanInPlace(at: WasmLayout, bytesAt: number, length: number, startsAt: number, endsAt: number, count: number, layout: ScanLayout, isCsvPassthrough: boolean): ScannedRecords {
  const wasm = at.wasm;
  const fields = layout.roles.length;
  // With CSV pass-through the per-field results are one record's scratch space (see scan_records).
  const cells = isCsvPassthrough ? fields : count * fields;
  const rolesAt = at.take(fields);
  const acceptedAt = at.take(count);
  const valuesAt = at.take(8 * cells);
  const fieldStartsAt = at.take(4 * cells);
  const fieldEndsAt = at.take(4 * cells);
  const quotingAt = at.take(cells);
  const arrayCount = layout.arrayFields.length;
  // Per array: region, width, is_f64, fields (u32 each), then fill (f64): 24 bytes.
  const arraysAt = at.take(24 * arrayCount);
  const regions = layout.arrayFields.map((arrayFields, a) => at.take(arrayFields.length * count * (layout.arrayIsFloat64[a] ? 8 : 4)));
  const arrayFieldsAt = layout.arrayFields.map((arrayFields) => at.take(4 * arrayFields.length));
  const passFieldsAt = at.take(4 * layout.passFields.length);
  // A record's pass-through output is never longer than the record: its fields as read, one comma apart.
  const passAt = isCsvPassthrough ? at.take(length + count) : 0;
  const passEndsAt = isCsvPassthrough ? at.take(4 * count) : 0;
  const buffer = at.buffer();
  new Uint8Array(buffer, rolesAt, fields).set(layout.roles);
  const table = new DataView(buffer, arraysAt, 24 * arrayCount);
  for (let a = 0; a < arrayCount; a++) {
    table.setUint32(24 * a, regions[a]!, true);
    table.setUint32(24 * a + 4, layout.arrayFields[a]!.length, true);
    table.setUint32(24 * a + 8, layout.arrayIsFloat64[a] ? 1 : 0, true);
    table.setUint32(24 * a + 12, arrayFieldsAt[a]!, true);
    table.setFloat64(24 * a + 16, layout.arrayFills[a]!, true);
    new Int32Array(buffer, arrayFieldsAt[a]!, layout.arrayFields[a]!.length).set(layout.arrayFields[a]!);
  }
  new Int32Array(buffer, passFieldsAt, layout.passFields.length).set(layout.passFields);
  const acceptedCount = wasm.scan_records(
    bytesAt, length, startsAt, endsAt, count, rolesAt, fields, acceptedAt, valuesAt, fieldStartsAt, fieldEndsAt, quotingAt,
    arraysAt, arrayCount, passFieldsAt, layout.passFields.length, passAt, passEndsAt,
  );
  const passthroughEnds = isCsvPassthrough ? new Int32Array(buffer, passEndsAt, count) : undefined;
  return {
    accepted: new Uint8Array(buffer, acceptedAt, count),
    acceptedCount,
    values: new Float64Array(buffer, valuesAt, cells),
    starts: new Int32Array(buffer, fieldStartsAt, cells),
    ends: new Int32Array(buffer, fieldEndsAt, cells),
    quoting: new Uint8Array(buffer, quotingAt, cells),
    arrays: layout.arrayFields.map((arrayFields, a) =>
      layout.arrayIsFloat64[a] ? new Float64Array(buffer, regions[a]!, arrayFields.length * count) : new Float32Array(buffer, regions[a]!, arrayFields.length * count),
    ),
    passthrough: isCsvPassthrough ? new Uint8Array(buffer, passAt, count === 0 ? 0 : passthroughEnds![count - 1]!) : undefined,
    passthroughEnds,
  };
}
