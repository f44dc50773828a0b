/**
 * Collects a chunk's accepted rows (features written straight into typed arrays, pass-through fields already
 * rendered) and its rejects. Every record ends as exactly one accepted row or one reject.
 */

import { ByteWriter } from '../format/byte-writer.js';
import { formatPassthroughValue, formatReject, jsonKeys } from '../format/format-rows.js';
import type { BoundInput, ScoringPlan } from '../../model/scoring-plan.js';
import { allocateTensorArray, tensorArrayIn, tensorElementBytes, type TensorArray } from '../../model/tensor-arrays.js';
import { parseExactInteger } from './parse-number.js';
import type { Scratch } from './scratch.js';

export type FeatureArray = TensorArray;

export interface ParsedChunk {
  /** Records seen (blank lines excluded). */
  rowsIn: number;
  /** Records accepted; the feature arrays hold this many rows. */
  rows: number;
  /** Per model, per input: rows x width values, row-major. */
  features: FeatureArray[][];
  /** The accepted rows' pass-through fields, rendered for the output format (with separators, and keys for
   * NDJSON), one row after another. */
  passthrough: Uint8Array;
  /** Per accepted row: where its pass-through bytes end. */
  passthroughEnds: Int32Array;
  /** The original text of an accepted row, so that a failed inference can still reject it. */
  recordOf: (row: number) => string;
  /** Per accepted row: its line number. */
  lines: Int32Array;
  /** Rendered rejects-file lines. */
  rejects: string[];
}


const NON_FINITE = /^[ \t]*[+-]?(?:nan|inf|infinity)[ \t]*$/i;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

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
  } else if (array instanceof Float32Array && !Number.isFinite(Math.fround(number))) {
    // Finite as a double but infinite once stored: the model would see Infinity. The fill covers it as it covers
    // a value beyond a double (1e999).
    if (input.fill === undefined) return `column '${column}': '${String(raw)}' is out of float32 range`;
    number = input.fill;
  }
  if (array instanceof BigInt64Array) {
    if (Number.isSafeInteger(number)) {
      array[at] = BigInt(number);
      return undefined;
    }
    // Past 2^53 the double has lost digits: the integer is read from the text (NDJSON passes a number's source).
    const integer = number === value && typeof raw === 'string' ? parseExactInteger(raw) : undefined;
    if (integer === undefined) return `column '${column}': '${String(raw)}' is not an integer`;
    if (integer < INT64_MIN || integer > INT64_MAX) return `column '${column}': '${String(raw)}' is out of int64 range`;
    array[at] = integer;
  } else if (array instanceof Int32Array) {
    if (!Number.isInteger(number)) return `column '${column}': '${String(raw)}' is not an integer`;
    if (number > 2147483647 || number < -2147483648) return `column '${column}': '${String(raw)}' is out of int32 range`;
    array[at] = number;
  } else {
    array[at] = number;
  }
  return undefined;
}

export class ChunkBuilder {
  readonly features: FeatureArray[][];
  readonly passthrough: ByteWriter;
  readonly passthroughEnds: Int32Array;
  /** Per accepted row: its record's position among the chunk's records, and its line number. Typed arrays, so
   * that acceptAll stores them with no per-row loop (a loop there was compiled during the timed work). */
  readonly sources: Int32Array;
  readonly lines: Int32Array;
  readonly rejects: string[] = [];
  rows = 0;
  rowsIn = 0;

  /** With `scratch`, the arrays are that thread's reused memory (see scratch.ts), valid until it is released. */
  constructor(
    readonly plan: ScoringPlan,
    capacity: number,
    readonly textOf: (record: number) => string,
    scratch?: Scratch,
  ) {
    this.#passthroughKeys = jsonKeys(plan.passthrough.map((p) => p.name));
    const passthroughBytes = capacity * 16 * plan.passthrough.length;
    this.passthrough = new ByteWriter(passthroughBytes, scratch?.buffer('passthrough', passthroughBytes));
    this.passthroughEnds = scratch?.int32('passthroughEnds', capacity) ?? new Int32Array(capacity);
    this.sources = scratch?.int32('sources', capacity) ?? new Int32Array(capacity);
    this.lines = scratch?.int32('lines', capacity) ?? new Int32Array(capacity);
    this.features = plan.models.map((model, m) =>
      model.inputs.map((input, i) => {
        const length = capacity * input.columns.length;
        if (scratch === undefined) return allocateTensorArray(input.type, length);
        return tensorArrayIn(input.type, scratch.buffer(`features ${m} ${i}`, length * tensorElementBytes(input.type)), length);
      }),
    );
  }

  readonly #passthroughKeys: string[];
  /** Set by acceptAll: row r is record r, and `sources` is not filled in. */
  #isEveryRecordInOrder = false;

  /** Writes the current row's p-th pass-through value, with its separator (and its key, for NDJSON). */
  addPassthrough(p: number, value: string | number | boolean | null | undefined | object): void {
    if (p > 0) this.passthrough.byte(0x2c);
    if (this.plan.outputFormat === 'ndjson') this.passthrough.ascii(this.#passthroughKeys[p]!);
    this.passthrough.text(formatPassthroughValue(value, this.plan.outputFormat));
  }

  reject(line: number, reason: string, record: string): void {
    // Drop any pass-through bytes written for this row.
    this.passthrough.truncate(this.rows === 0 ? 0 : this.passthroughEnds[this.rows - 1]!);
    this.rowsIn++;
    this.rejects.push(formatReject(line, reason, record));
  }

  /** Adds a record whose fields were read; `valueOf(input, k)` gives the k-th feature's raw value. */
  accept(line: number, record: number, valueOf: (input: BoundInput, k: number, column: string) => { value: number | undefined; raw: unknown }): void {
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
    this.commit(line, record);
  }

  /**
   * Accepts the row whose features a caller already wrote at index `rows` of every feature array (the fast
   * parser's way in).
   */
  commit(line: number, record: number): void {
    this.passthroughEnds[this.rows] = this.passthrough.length;
    this.sources[this.rows] = record;
    this.lines[this.rows] = line;
    this.rowsIn++;
    this.rows++;
  }

  /**
   * Accepts every record of the chunk at once, in order, their features already written at rows 0..count-1:
   * `passthrough` holds their rendered pass-through bytes, record r's ending at passthroughEnds[r].
   */
  acceptAll(passthrough: Uint8Array, passthroughEnds: Int32Array, lines: Int32Array): void {
    const count = passthroughEnds.length;
    this.passthrough.truncate(0);
    this.passthrough.append(passthrough);
    this.passthroughEnds.set(passthroughEnds);
    this.#isEveryRecordInOrder = true;
    this.lines.set(lines.subarray(0, count));
    this.rows = count;
    this.rowsIn = count;
  }

  finish(): ParsedChunk {
    const features = this.plan.models.map((model, m) =>
      model.inputs.map((input, i) => this.features[m]![i]!.subarray(0, this.rows * input.columns.length) as FeatureArray),
    );
    const { sources, textOf } = this;
    const isInOrder = this.#isEveryRecordInOrder;
    return {
      rowsIn: this.rowsIn,
      rows: this.rows,
      features,
      passthrough: this.passthrough.view(),
      passthroughEnds: this.passthroughEnds,
      recordOf: (row) => textOf(isInOrder ? row : sources[row]!),
      lines: this.lines.subarray(0, this.rows),
      rejects: this.rejects,
    };
  }
}

