import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ParsedChunk } from '../../src/scoring/parse/chunk-builder.js';
import { parseCsvChunkFast } from '../../src/scoring/parse/fast-csv.js';
import { findNumberText } from '../../src/scoring/parse/json-number-text.js';
import { parseCsvChunk, parseNdjsonChunk } from '../../src/scoring/parse/parse-chunk.js';
import { parseExactInteger } from '../../src/scoring/parse/parse-number.js';
import type { ScoringPlan } from '../../src/model/scoring-plan.js';
import type { TensorType } from '../../src/model/signature.js';
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

/** The one input's values as integers, row after row. */
function integers(parsed: ParsedChunk): bigint[] {
  const array = parsed.features[0]![0]!;
  return array instanceof BigInt64Array ? Array.from(array) : Array.from(array as Int32Array, BigInt);
}

describe('int64 inputs: every integer of int64 is taken exactly, and the rest is rejected for what it is', () => {
  const cases: [string, 'csv' | 'ndjson'][] = [['fast CSV path', 'csv'], ['reference CSV path', 'csv'], ['NDJSON', 'ndjson']];
  for (const [name, format] of cases) {
    const parse = parsersOf(format).find(([n]) => n === name)![1];
    it(`${name}: keeps integers past 2^53 digit for digit, up to int64's limits`, () => {
      const bytes = rows(format, [
        ['-9007199254740992', '9223372036854775807'],
        ['9007199254740993', '-9223372036854775808'],
        ['"9007199254740995"', '12'],
        ['9223372036854775.807e3', '-1e18'],
      ]);
      const parsed = parse(bytes, 2, typedPlan('int64', format));
      assert.deepEqual(parsed.rejects, []);
      assert.deepEqual(integers(parsed), [-9007199254740992n, 9223372036854775807n, 9007199254740993n, -9223372036854775808n, 9007199254740995n, 12n, 9223372036854775807n, -(10n ** 18n)]);
    });

    it(`${name}: rejects values beyond int64 as out of range, and fractions as not integers, quoting the text`, () => {
      const bytes = rows(format, [['9223372036854775808', '1'], ['1', '-9223372036854775809'], ['1e19', '1'], ['9007199254740993.5', '1'], ['1', '2']]);
      const parsed = parse(bytes, 2, typedPlan('int64', format));
      assert.equal(parsed.rows, 1);
      assert.deepEqual(reasons(parsed), [
        "column 'a': '9223372036854775808' is out of int64 range",
        "column 'b': '-9223372036854775809' is out of int64 range",
        "column 'a': '1e19' is out of int64 range",
        "column 'a': '9007199254740993.5' is not an integer",
      ]);
      assert.deepEqual(parsed.rejects.map((line) => line.split(',')[0]), ['2', '3', '4', '5']);
    });

    it(`${name}: int32 inputs reject values beyond int32 as out of range`, () => {
      const bytes = rows(format, [['2147483647', '-2147483648'], ['2147483648', '1'], ['1', '-9007199254740993'], ['1.5', '1']]);
      const parsed = parse(bytes, 2, typedPlan('int32', format));
      assert.deepEqual(integers(parsed), [2147483647n, -2147483648n]);
      assert.deepEqual(reasons(parsed), [
        "column 'a': '2147483648' is out of int32 range",
        "column 'b': '-9007199254740993' is out of int32 range",
        "column 'a': '1.5' is not an integer",
      ]);
    });
  }
});

describe('parseExactInteger', () => {
  it('reads the integer a decimal text denotes, exactly', () => {
    const cases: [string, bigint][] = [
      ['0', 0n], ['-0', 0n], ['007', 7n], [' 12 ', 12n], ['+5', 5n], ['1.5e3', 1500n], ['.5e1', 5n], ['12.', 12n], ['100e-2', 1n],
      ['9007199254740993', 9007199254740993n], ['-9223372036854775808', -(2n ** 63n)], ['0.0e999', 0n], ['1e400', 10n ** 400n], ['-1e999999', -(10n ** 400n)],
    ];
    for (const [text, value] of cases) assert.equal(parseExactInteger(text), value, text);
  });

  it('gives undefined for fractions and for what is not a number', () => {
    for (const text of ['1.5', '1e-1', '9007199254740993.5', '0.1e0', 'abc', '', '0x10', '1e', 'NaN']) assert.equal(parseExactInteger(text), undefined, text);
  });
});

describe('findNumberText', () => {
  it("finds a top-level key's number as written, past strings, nesting, escapes and spaces", () => {
    const line = ' { "s": "a\\"b,\\"a\\":1", "n": {"a": [2, {"a": 3}]}, "t\\u0061g": true , "a" : -9007199254740993e0 , "z": null }';
    assert.equal(findNumberText(line, 'a'), '-9007199254740993e0');
    assert.equal(findNumberText(line, 'tag'), undefined);
    assert.equal(findNumberText(line, 'missing'), undefined);
    assert.equal(findNumberText('{"a":1,"a":9223372036854775807}', 'a'), '9223372036854775807');
    assert.equal(findNumberText('{"a":1,"a":"2"}', 'a'), undefined);
    assert.equal(findNumberText('{}', 'a'), undefined);
  });
});
