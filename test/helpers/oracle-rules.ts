/**
 * The README's input rules, written out again for the oracle tests (fast-csv-oracle, ndjson-oracle) without the
 * project's parsing code, so that a parser and its oracle cannot share a mistake.
 */

import { parse } from 'csv-parse/sync';
import type { BoundInput, ScoringPlan } from '../../src/model/scoring-plan.js';
import type { ParsedChunk } from '../../src/scoring/parse/chunk-builder.js';

/** "Numbers: an optional sign, digits with an optional fraction (or a fraction alone), an optional exponent,
 * spaces or tabs around." Number() alone would also take hex, a BOM or no-break space around, and '' as 0. */
const NUMBER = /^[ \t]*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[ \t]*$/;
/** "`NaN`/`Infinity`/`1e999` are non-finite: `fill` applies to them." */
const NON_FINITE_WORD = /^[ \t]*[+-]?(?:NaN|Infinity)[ \t]*$/;
const BLANK = /^[ \t]*$/;

export type FeatureOutcome = { value: number } | { reason: string };

/** What a feature value becomes in its input: the value stored (fill included), or why the row is a reject. */
export function settleNumber(value: number, source: string, input: BoundInput): FeatureOutcome {
  const fillOr = (reason: string): FeatureOutcome => (input.fill === undefined ? { reason } : { value: input.fill });
  if (!Number.isFinite(value)) return fillOr(`'${source}' is not finite`);
  if (input.type === 'float32') {
    // A finite double beyond float32 would be stored as infinity: the README counts it as infinite.
    if (!Number.isFinite(Math.fround(value))) return fillOr(`'${source}' is out of float32 range`);
    return { value: Math.fround(value) };
  }
  return { value };
}

/** A feature given as text (a CSV field, or an NDJSON string). */
export function settleText(text: string, input: BoundInput): FeatureOutcome {
  if (BLANK.test(text)) return input.fill === undefined ? { reason: 'missing value' } : { value: input.fill };
  if (NON_FINITE_WORD.test(text)) return settleNumber(Number.NaN, text, input);
  if (!NUMBER.test(text)) return { reason: `'${text}' is not a number` };
  return settleNumber(Number(text), text, input);
}

/** How a pass-through value is written: a CSV field (quoted when it must be) or a JSON value. */
export function renderCsvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The feature arrays of an accepted row, per input, in the plan's order; or the reject reason. */
export type RowOutcome = { values: number[][] } | { reason: string };

/** Settles every feature of a row in plan order; the first one that fails names the row's reason. */
export function settleRow(plan: ScoringPlan, featureOf: (input: BoundInput, k: number) => FeatureOutcome): RowOutcome {
  const values: number[][] = [];
  for (const model of plan.models) {
    for (const input of model.inputs) {
      const row: number[] = [];
      for (let k = 0; k < input.columns.length; k++) {
        const outcome = featureOf(input, k);
        if ('reason' in outcome) return { reason: `column '${input.columns[k]!}': ${outcome.reason}` };
        row.push(outcome.value);
      }
      values.push(row);
    }
  }
  return { values };
}

/** A parsed chunk in plain values, as the oracle tests compare it. */
export interface ChunkView {
  rowsIn: number;
  /** Per model input, in plan order: the accepted rows' values, row after row. */
  features: number[][];
  /** Per accepted row: its rendered pass-through fields; its line; its original text. */
  passthrough: string[];
  lines: number[];
  records: string[];
  /** Per reject: [line, reason, record], read back from the rejects-file lines. */
  rejects: string[][];
}

export function emptyChunkView(plan: ScoringPlan): ChunkView {
  const inputs = plan.models.flatMap((model) => model.inputs);
  return { rowsIn: 0, features: inputs.map(() => []), passthrough: [], lines: [], records: [], rejects: [] };
}

/** Adds one record's expected ending to `view`: an accepted row or a reject. */
export function addExpectedRow(view: ChunkView, line: number, record: string, outcome: RowOutcome, passthrough: () => string): void {
  view.rowsIn++;
  if ('reason' in outcome) {
    view.rejects.push([String(line), outcome.reason, record]);
    return;
  }
  outcome.values.forEach((values, i) => view.features[i]!.push(...values));
  view.passthrough.push(passthrough());
  view.lines.push(line);
  view.records.push(record);
}

/** `parsed` in the form of a ChunkView; its rejects-file lines read back with csv-parse. */
export function viewParsedChunk(parsed: ParsedChunk): ChunkView {
  const bytes = Buffer.from(parsed.passthrough);
  const ends = Array.from(parsed.passthroughEnds.subarray(0, parsed.rows));
  return {
    rowsIn: parsed.rowsIn,
    features: parsed.features.flat().map((array) => Array.from(array as ArrayLike<number>)),
    passthrough: ends.map((end, row) => bytes.toString('utf8', row === 0 ? 0 : ends[row - 1]!, end)),
    lines: Array.from(parsed.lines),
    records: Array.from({ length: parsed.rows }, (_, row) => parsed.recordOf(row)),
    rejects: parse(parsed.rejects.join('')) as string[][],
  };
}
