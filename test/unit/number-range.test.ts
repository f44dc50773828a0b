import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ParsedChunk } from '../../src/parse/chunk-builder.js';
import { parseCsvChunkFast } from '../../src/parse/fast-csv.js';
import { parseCsvChunk, parseNdjsonChunk } from '../../src/parse/parse-chunk.js';
import type { ScoringPlan, TensorType } from '../../src/plan.js';
import { csvPlan } from '../helpers/plans.js';

/** A plan whose one input, of `type`, reads columns a and b; `id` passes through. */
function typedPlan(type: TensorType, inputFormat: 'csv' | 'ndjson', fill?: number): ScoringPlan {
  const plan = csvPlan(['id', 'a', 'b'], ['a', 'b'], { inputFormat }, fill);
  plan.models[0]!.inputs[0]!.type = type;
  return plan;
}

type Parse = (bytes: Uint8Array, firstLine: number, plan: ScoringPlan) => ParsedChunk;

const CSV_PARSERS: [string, Parse][] = [
  ['fast CSV path', parseCsvChunkFast],
  ['reference CSV path', parseCsvChunk],
];

/** One CSV row per (a, b) pair, or one NDJSON object with the values written as they are (numbers or strings). */
function rows(format: 'csv' | 'ndjson', pairs: [string, string][]): Buffer {
  const lines = pairs.map(([a, b], r) => (format === 'csv' ? `r${r},${a},${b}` : `{"id":"r${r}","a":${a},"b":${b}}`));
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

/** Every parser of `format` on the same rows. */
function parsersOf(format: 'csv' | 'ndjson'): [string, Parse][] {
  return format === 'csv' ? CSV_PARSERS : [['NDJSON', parseNdjsonChunk]];
}

/** The one input's values, row after row. */
function floats(parsed: ParsedChunk): number[] {
  return Array.from(parsed.features[0]![0]! as Float32Array | Float64Array);
}

/** The reject reasons, without the line and record around them. */
function reasons(parsed: ParsedChunk): string[] {
  return parsed.rejects.map((line) => line.split(',')[1]!.replace(/^"|"$/g, ''));
}

describe('float32 inputs: a finite value beyond float32 is not stored as infinity', () => {
  for (const format of ['csv', 'ndjson'] as const) {
    for (const [name, parse] of parsersOf(format)) {
      it(`${name}: rejects it, naming the column and float32's range, with the line and the original record`, () => {
        const bytes = rows(format, [['1', '2'], ['3.5e38', '1'], ['1', '-1e39'], ['3.4028236e38', '1'], ['4', '5']]);
        const parsed = parse(bytes, 2, typedPlan('float32', format));
        assert.equal(parsed.rowsIn, 5);
        assert.equal(parsed.rows, 2);
        assert.deepEqual(floats(parsed), [1, 2, 4, 5]);
        assert.deepEqual(Array.from(parsed.lines), [2, 6]);
        assert.equal(parsed.rejects.length, 3);
        const [first, second, third] = reasons(parsed);
        assert.match(first!, /^column 'a': '3\.5e\+?38' is out of float32 range$/);
        assert.match(second!, /^column 'b': '-1e\+?39' is out of float32 range$/);
        assert.match(third!, /^column 'a': '3\.4028236e\+?38' is out of float32 range$/);
        assert.ok(parsed.rejects[0]!.startsWith('3,'), parsed.rejects[0]);
        assert.ok(parsed.rejects[0]!.includes(format === 'csv' ? 'r1,3.5e38,1' : '3.5e38'), parsed.rejects[0]);
      });

      it(`${name}: uses the fill for it, as for a value beyond a double`, () => {
        const bytes = rows(format, [['3.5e38', '1'], ['1', '-1e39'], ['1e999', '2']]);
        const parsed = parse(bytes, 2, typedPlan('float32', format, -7));
        assert.equal(parsed.rows, 3);
        assert.deepEqual(floats(parsed), [-7, 1, 1, -7, -7, 2]);
      });

      it(`${name}: keeps float32's largest value, subnormals and underflow to zero`, () => {
        const bytes = rows(format, [['3.4028235e38', '-3.4028235e38'], ['1.4e-45', '1e-46'], ['-1e-300', '1e-40']]);
        const parsed = parse(bytes, 2, typedPlan('float32', format));
        assert.deepEqual(parsed.rejects, []);
        const expected = [3.4028235e38, -3.4028235e38, 1.4e-45, 1e-46, -1e-300, 1e-40].map(Math.fround);
        assert.deepEqual(floats(parsed), expected);
      });

      it(`${name}: leaves float64 inputs alone (1e39 is a double)`, () => {
        const parsed = parse(rows(format, [['3.5e38', '-1e39']]), 2, typedPlan('float64', format));
        assert.deepEqual(parsed.rejects, []);
        assert.deepEqual(floats(parsed), [3.5e38, -1e39]);
      });
    }
  }
});
