import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCsvChunkFast, parseDecimalBytes } from '../../src/scoring/parse/fast-csv.js';
import { parseCsvChunk } from '../../src/scoring/parse/parse-chunk.js';
import type { ParsedChunk } from '../../src/scoring/parse/chunk-builder.js';
import type { TensorType } from '../../src/model/signature.js';
import { createRandom } from '../../src/synth/apm-snapshot.js';
import { csvPlan } from '../helpers/plans.js';

function view(parsed: ParsedChunk) {
  return {
    rowsIn: parsed.rowsIn,
    rows: parsed.rows,
    features: parsed.features.map((inputs) => inputs.map((array) => Array.from(array as ArrayLike<number | bigint>))),
    passthrough: Buffer.from(parsed.passthrough).toString('utf8'),
    ends: Array.from(parsed.passthroughEnds.subarray(0, parsed.rows)),
    lines: Array.from(parsed.lines),
    // What a failed inference would reject each row with: its original record.
    records: Array.from({ length: parsed.rows }, (_, row) => parsed.recordOf(row)),
    rejects: parsed.rejects,
  };
}

/** Both parsers on the same bytes must agree on every number, every pass-through byte and every reject. */
function assertSameParse(text: string, header = ['id', 'a', 'b'], features = ['a', 'b'], fill?: number, outputFormat: 'csv' | 'ndjson' = 'csv', type: TensorType = 'float32'): void {
  const plan = csvPlan(header, features, { outputFormat }, fill);
  plan.models[0]!.inputs[0]!.type = type;
  const bytes = Buffer.from(text, 'utf8');
  const fast = view(parseCsvChunkFast(bytes, 2, plan));
  const reference = view(parseCsvChunk(bytes, 2, plan));
  assert.deepEqual(fast, reference, JSON.stringify(text));
  // Agreeing is not enough: no accepted row may hand the model an infinite float32.
  assert.ok(fast.features.flat(2).every(isFiniteFeature), `a non-finite feature was stored: ${JSON.stringify(text)}`);
}

const isFiniteFeature = (value: number | bigint): boolean => typeof value === 'bigint' || Number.isFinite(value);

describe('fast CSV path against csv-parse (conformance corpus)', () => {
  const corpus: [string, string][] = [
    ['plain', 'r1,1,2\nr2,3.5,-4\n'],
    ['CRLF', 'r1,1,2\r\nr2,3,4\r\n'],
    ['no final newline', 'r1,1,2\nr2,3,4'],
    ['blank lines', '\nr1,1,2\n\n\r\nr2,3,4\n\n'],
    ['quoted pass-through with comma', '"a,b",1,2\n'],
    ['quoted pass-through with doubled quote', '"say ""hi""",1,2\n'],
    ['quoted pass-through with newline', '"two\nlines",1,2\nr2,3,4\n'],
    ['quoted pass-through without specials', '"plain",1,2\n'],
    ['quoted numbers', 'r1,"1","2"\n'],
    ['quoted numbers with spaces inside, quoted empties and signs', 'r1," 1 ","\t2"\nr2,"",3\nr3,"-",4\nr4,"1"x,5\nr5, "1",6\nr6,"1""2",7\n'],
    ['spaces only', 'r1, ,2\nr2,\t,3\n'],
    ['long digits with spaces and quotes', 'r1," 0.20199999999999999 ",2\nr2,  -66.71999999999998\t,3\n'],
    ['empty fields', 'r1,,2\n,1,2\nr3,1,\n'],
    ['exponents and signs', 'r,1e3,-2.5E-2\nr,+7,.5\nr,5.,-0\nr,1E+2,0.000001\n'],
    ['whitespace around numbers', 'r, 1,2 \nr,\t3,4\n'],
    ['not numbers', 'r,abc,1\nr,0x10,1\nr,1 2,1\nr,NaN,1\nr,Infinity,1\nr,-inf,1\nr,1e,1\nr,.,1\nr,--1,1\n'],
    ['huge and tiny exponents', 'r,1e400,1\nr,1e-400,1\nr,123456789012345678,1\nr,1.00000000000000000001,1\n'],
    ['beyond float32 but not beyond a double', 'r,3.5e38,-1e39\nr,3.4028236e38,1\nr,1,-340282357000000000000000000000000000000\nr,1e300,1\n'],
    ['float32 extremes that still fit, and underflow', 'r,3.4028235e38,-3.4028235677973e38\nr,1e-46,-1e-45\nr,1.4e-45,1e-300\n'],
    ['many digits', 'r,3.14159265358979,2.718281828459045\nr,0.1,0.2\nr,9007199254740993,1\n'],
    ['wrong field counts', 'r,1\nr,1,2,3\nr,1,2\n'],
    ['stray quote in unquoted field', 'r"x,1,2\nr2,1,2\n'],
    ['text after closing quote', '"a"b,1,2\nr2,1,2\n'],
    ['unclosed quote', 'r1,1,2\n"open,1,2\nr3,1,2\n'],
    ['lone CR inside a field', 'a\rb,1,2\n'],
    ['quote or CR past a long field\'s first eight bytes', 'abcdefghij"k,1,2\nabcdefghijklmnopq\rr,1,2\nabcdefghijklmnopqrstuvwxyz,1,2\n'],
    ['non-ASCII pass-through', 'café ☕,1,2\n"naïve, quoted",3,4\n'],
    ['trailing comma', 'r,1,2,\n'],
    ['a BOM starting the chunk (data: the reader drops only the input\'s own)', '\uFEFFr1,1,2\n\uFEFFr2,\uFEFF3,4\n'],
  ];
  for (const [name, text] of corpus) {
    it(`gives the same numbers and rejects: ${name}`, () => assertSameParse(text));
  }

  it('agrees with a fill value for missing and non-finite features', () => {
    assertSameParse('r,,1\nr,NaN,1\nr,Infinity,1\nr,abc,1\nr,"",1\nr, ,1\nr,1e400,1\n', undefined, undefined, -1);
  });

  it('agrees with a fill value for features beyond float32', () => {
    assertSameParse('r,3.5e38,1\nr,1,-1e39\nr,3.4028235e38,2\n', undefined, undefined, -1);
  });

  it('agrees on integer inputs, past 2^53 and past their range', () => {
    const text = 'r,-9007199254740992,9223372036854775807\nr,9223372036854775808,-9223372036854775808\nr,9007199254740993,1.5\nr,1e19,"12"\nr,2147483648,-2147483649\nr,,x\n';
    assertSameParse(text, undefined, undefined, undefined, 'csv', 'int64');
    assertSameParse(text, undefined, undefined, undefined, 'csv', 'int32');
    assertSameParse(text, undefined, undefined, 7, 'csv', 'int64');
  });

  it('agrees when a quoted feature is also passed through', () => {
    const plan = csvPlan(['id', 'a', 'b'], ['a', 'b'], { passthrough: [{ name: 'id', fieldIndex: 0 }, { name: 'a', fieldIndex: 1 }] });
    const bytes = Buffer.from('r1,"1.5",2\nr2," 3 ",4\nr3,5,"6"\n', 'utf8');
    assert.deepEqual(view(parseCsvChunkFast(bytes, 2, plan)), view(parseCsvChunk(bytes, 2, plan)));
  });

  it('agrees when writing NDJSON pass-through', () => {
    assertSameParse('"a,b",1,2\n"q""x",3,4\nplain,5,6\n', undefined, undefined, undefined, 'ndjson');
  });

  it('agrees with the reference on any column order', () => {
    assertSameParse('1,r,2\n3,"s,t",4\n', ['a', 'id', 'b'], ['b', 'a']);
  });

  it('agrees on invalid UTF-8 (the whole chunk goes to the reference)', () => {
    const plan = csvPlan(['id', 'a', 'b'], ['a', 'b']);
    const bytes = Buffer.concat([Buffer.from('r1,1,2\nr'), Buffer.from([0xff, 0xfe]), Buffer.from(',3,4\n')]);
    assert.deepEqual(view(parseCsvChunkFast(bytes, 2, plan)), view(parseCsvChunk(bytes, 2, plan)));
  });

  it('agrees with several inputs (float32 and float64, shared fields, fills) over accepted and handed-over records', () => {
    const header = ['a', 'id', 'b', 'c'];
    const plan = csvPlan(header, ['a', 'b'], {
      models: [
        {
          name: 'm',
          path: '/m.onnx',
          inputs: [
            { name: 'x', type: 'float32', columns: ['c', 'a'], fieldIndexes: [3, 0], fill: -1 },
            { name: 'y', type: 'float64', columns: ['b', 'c', 'b'], fieldIndexes: [2, 3, 2], fill: undefined },
          ],
          outputs: [{ name: 'z', columns: ['z'] }],
          thresholds: [],
          batchSize: undefined,
          keepsNonFinite: false,
        },
      ],
    });
    const random = createRandom(7);
    const numbers = ['1', '-2.5', '0.1', '1e-7', '3.4028235e38', '12345678901234567890', '0.20199999999999999', '7E+2', ' 4 ', '"5"', '', '-1e39'];
    const lines: string[] = [];
    for (let r = 0; r < 3000; r++) {
      const pick = (): string => numbers[Math.floor(random() * numbers.length)]!;
      // Now and then a record the scanner hands over: a wrong field count, or a word where a number belongs.
      const tail = random() < 0.05 ? ',extra' : '';
      const b = random() < 0.05 ? 'abc' : pick();
      lines.push(`${pick()},"id ${r}, ok",${b},${pick()}${tail}`);
    }
    const bytes = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    const fast = view(parseCsvChunkFast(bytes, 2, plan));
    assert.deepEqual(fast, view(parseCsvChunk(bytes, 2, plan)));
    // -1e39: the fill in float32 'x', itself in float64 'y'.
    assert.ok(fast.features.flat(2).every(Number.isFinite));
    assert.ok(fast.features[0]![1]!.includes(-1e39));
    assert.ok(fast.rows > 1000 && fast.rejects.length > 100, `${fast.rows} rows, ${fast.rejects.length} rejects`);
  });

  it('agrees on plain decimals of every length, the ones read eight bytes at a time included', () => {
    // The scanner reads a feature of up to 8 bytes with one word load (split_record, when 64 bytes of the chunk
    // follow the record's start), longer plain decimals with 1-7 digits either side of the point two words at a
    // time (plain_decimal); exponents, spaces, longer digit runs and the chunk's last bytes go byte by byte.
    const random = createRandom(17);
    const digits = (count: number): string => Array.from({ length: count }, () => String(Math.floor(random() * 10))).join('');
    const lines: string[] = [];
    for (let whole = 0; whole <= 9; whole++) {
      for (let fraction = -1; fraction <= 9; fraction++) {
        for (const sign of ['', '-', '+']) {
          const number = `${sign}${digits(whole)}${fraction < 0 ? '' : `.${digits(fraction)}`}`;
          const end = random() < 0.3 ? '\r' : '';
          // The number as a middle field and as the record's last; then spoilt (a letter, a second point, an
          // exponent, a space) beside a plain field, so that nothing else sends the record the slow way.
          lines.push(`w${whole}f${fraction},${number},${digits(3)}.${digits(2)}${end}`, `x,${digits(2)},${number}${end}`);
          lines.push(`y,${number}x,1`, `z,${number}.5,1`, `v,1,${number}e1`, `s,1,${number} `, `t,.${number},1`);
        }
      }
    }
    const text = `${lines.join('\n')}\n`;
    assertSameParse(text);
    assertSameParse(text, undefined, undefined, undefined, 'csv', 'float64');
    // Ended without a line end, so that the last fields sit against the chunk's end.
    assertSameParse(text.trimEnd());
  });

  it('agrees on thousands of seeded random records', () => {
    const random = createRandom(2026);
    const pieces = ['', '-', '+', '0', '1', '9', '.', 'e', 'E', '5', '"', ',', ' ', 'x', '12', '3.25', '\r', '""'];
    const lines: string[] = [];
    for (let r = 0; r < 4000; r++) {
      const field = (): string => {
        let text = '';
        const length = Math.floor(random() * 6);
        for (let i = 0; i < length; i++) text += pieces[Math.floor(random() * pieces.length)];
        return random() < 0.7 ? String(Math.round((random() - 0.5) * 1e6) / 10 ** Math.floor(random() * 6)) : text;
      };
      lines.push(`id${r},${field()},${field()}`);
    }
    assertSameParse(`${lines.join('\n')}\n`);
  });
});

describe('parseDecimalBytes', () => {
  it('gives exactly Number(text) for every plain decimal', () => {
    const random = createRandom(7);
    for (let i = 0; i < 20000; i++) {
      // Up to 27 digits: past 15 the digits are no longer exact in a double.
      const digits = String(Math.floor(random() * 1e9)) + (random() < 0.3 ? String(Math.floor(random() * 1e9)).repeat(2) : '');
      const point = Math.floor(random() * (digits.length + 1));
      const exponent = random() < 0.3 ? `e${Math.floor(random() * 80) - 40}` : '';
      const text = `${random() < 0.3 ? '-' : ''}${digits.slice(0, point)}.${digits.slice(point)}${exponent}`;
      const value = parseDecimalBytes(Buffer.from(text), 0, text.length);
      assert.ok(Object.is(value, Number(text)), text);
    }
  });

  it('reads long digit strings and large exponents as Number(text) does', () => {
    for (const text of ['1234567890123456', '0.20199999999999999', '-66.71999999999998', '1e23', '1e-23', '1.00000000000000000001', '-123456789012345678', '1e-400', '4.9e-324', ' 1', '1 ', '\t-2.5 ']) {
      assert.equal(parseDecimalBytes(Buffer.from(text), 0, text.length), Number(text), text);
    }
  });

  it('declines what is not a plain decimal, is missing or is beyond a double', () => {
    for (const text of ['abc', '', '  ', '-', '.', '1e', 'e5', '1 2', '1e400', '-1e400', '0x10', 'Infinity']) {
      assert.ok(Number.isNaN(parseDecimalBytes(Buffer.from(text), 0, text.length)), text);
    }
  });
});
