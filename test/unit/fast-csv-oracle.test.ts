import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import type { BoundInput, ScoringPlan } from '../../src/model/scoring-plan.js';
import { parseCsvChunkFast } from '../../src/scoring/parse/fast-csv.js';
import { createCaseRandom, describeReproduction, readFuzzSettings } from '../helpers/fuzz-settings.js';
import { addExpectedRow, emptyChunkView, renderCsvField, settleRow, settleText, viewParsedChunk, type ChunkView } from '../helpers/oracle-rules.js';

const settings = readFuzzSettings(200);

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const digits = (random: Random, count: number): string => Array.from({ length: count }, () => String(Math.floor(random() * 10))).join('');

/** A decimal in any of the grammar's forms; some with more digits than a double holds, some past its range. */
function numberText(random: Random): string {
  const sign = pick(random, ['', '', '-', '+']);
  const whole = digits(random, pick(random, [0, 1, 1, 2, 3, 6, 9, 17, 30]));
  const point = random() < 0.5 ? `.${digits(random, pick(random, [0, 1, 2, 5, 8, 12, 22]))}` : '';
  const exponent = random() < 0.25 ? `${pick(random, ['e', 'E'])}${pick(random, ['', '+', '-'])}${digits(random, 1 + Math.floor(random() * 3))}` : '';
  return `${sign}${whole}${point}${exponent}`;
}

const BLANKS = ['', '', '', ' ', '\t', '  ', ' \t'];
/** Edge cases: blanks, non-finite spellings, near-numbers that are not numbers, float32 and double limits. */
const ODD_FIELDS = ['', ' ', '\t', 'NaN', ' Infinity', '-Infinity', '+Infinity\t', 'abc', '0x10', '1,000', '1 2', '1e', 'e5', '.', '-', '--1', '1.2.3', '1e400', '-1e400', '3.5e38', '-1e39', '3.4028235e38', '3.4028236e38', '1e-46', '-0', '4.9e-324', '\u00a01', '1\u00a0', '\uFEFF1', '١٢', '1_000', '0b1', '12abc', '"1"'];
const TEXT_PIECES = ['a', 'id', 'x y', ',', '"', '""', '\n', '\r\n', ' ', '\t', 'é', '☕', '😀', '\uFEFF', '1', '-', '.', 'e'];

function fieldValue(random: Random): string {
  const r = random();
  if (r < 0.55) return `${pick(random, BLANKS)}${numberText(random)}${pick(random, BLANKS)}`;
  if (r < 0.85) return pick(random, ODD_FIELDS);
  return Array.from({ length: Math.floor(random() * 6) }, () => pick(random, TEXT_PIECES)).join('');
}

/** RFC 4180: a field with a quote, comma, CR or LF must be quoted; any other may be. */
function writeField(random: Random, value: string): string {
  return /[",\r\n]/.test(value) || random() < 0.15 ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A plan over fields c0..cN: some passed through, 1-2 float inputs reading any fields (repeats too), fills or not. */
function randomPlan(random: Random): ScoringPlan {
  const fieldCount = 3 + Math.floor(random() * 4);
  const header = Array.from({ length: fieldCount }, (_, f) => `c${f}`);
  const passthrough = header.flatMap((name, fieldIndex) => (random() < 0.5 ? [{ name, fieldIndex }] : []));
  const inputs: BoundInput[] = Array.from({ length: 1 + Math.floor(random() * 2) }, (_, i) => {
    const fieldIndexes = Array.from({ length: 1 + Math.floor(random() * 3) }, () => Math.floor(random() * fieldCount));
    const fill = random() < 0.5 ? undefined : pick(random, [0, -1, 2.5, Math.fround(0.1)]);
    return { name: `x${i}`, type: random() < 0.7 ? 'float32' : 'float64', columns: fieldIndexes.map((f) => header[f]!), fieldIndexes, fill };
  });
  return {
    inputFormat: 'csv',
    outputFormat: random() < 0.8 ? 'csv' : 'ndjson',
    parser: 'fast',
    batchRows: 1024,
    fieldCount,
    passthrough,
    models: [{ name: 'm', path: '/m.onnx', inputs, outputs: [{ name: 'y', columns: ['y'] }], thresholds: [], batchSize: undefined, keepsNonFinite: false }],
    outputColumns: [...passthrough.map((p) => p.name), 'y'],
  };
}

interface WrittenRecord {
  values: string[];
  /** Its text, line end excluded, and the line it starts on. */
  text: string;
  line: number;
}

/** A chunk of random records (a few with the wrong field count), blank lines, CRLF or LF, perhaps a BOM first. */
function writeChunk(random: Random, plan: ScoringPlan, firstLine: number): { text: string; records: WrittenRecord[] } {
  let text = '';
  const records: WrittenRecord[] = [];
  const count = 1 + Math.floor(random() * 30);
  for (let r = 0; r < count; r++) {
    while (random() < 0.1) text += pick(random, ['\n', '\r\n']);
    const width = random() < 0.08 ? Math.max(1, plan.fieldCount + pick(random, [-2, -1, 1, 2])) : plan.fieldCount;
    const values = Array.from({ length: width }, () => fieldValue(random));
    const fields = values.map((value) => writeField(random, value));
    // A record of one empty field would be a blank line, which is not a record.
    if (fields.length === 1 && fields[0] === '') fields[0] = '""';
    if (r === 0 && text === '' && random() < 0.1 && !fields[0]!.startsWith('"')) {
      // A BOM reaches a chunk only when the input had one and the reader did not drop it: it is then data, to
      // csv-parse (without its `bom` option, as the reference path calls it) as to the number rule.
      values[0] = `\uFEFF${values[0]!}`;
      fields[0] = `\uFEFF${fields[0]!}`;
    }
    const record = fields.join(',');
    records.push({ values, text: record, line: firstLine + (text.match(/\n/g)?.length ?? 0) });
    text += record;
    if (r < count - 1 || random() < 0.7) text += pick(random, ['\n', '\r\n']);
  }
  return { text, records };
}

/** The oracle: csv-parse's records of `text`, each settled by the README's rules. */
function expectChunk(text: string, records: WrittenRecord[], plan: ScoringPlan, where: string): ChunkView {
  // The README's CSV rules as csv-parse options: CRLF and LF both end a record, blank lines are not records, and
  // a record of the wrong width is read (to be rejected) rather than an error.
  const fields = parse(text, { record_delimiter: ['\r\n', '\n'], skip_empty_lines: true, relax_column_count: true }) as string[][];
  // The generator's own check: csv-parse reads back the values that were written.
  assert.deepEqual(fields, records.map((r) => r.values), `${where}: the generator wrote what it meant to`);
  const view = emptyChunkView(plan);
  fields.forEach((values, r) => {
    const { line, text: record } = records[r]!;
    const outcome =
      values.length === plan.fieldCount
        ? settleRow(plan, (input, k) => settleText(values[input.fieldIndexes[k]!]!, input))
        : { reason: `expected ${plan.fieldCount} fields, got ${values.length}` };
    const passthrough = (): string =>
      plan.passthrough.map((p) => (plan.outputFormat === 'csv' ? renderCsvField(values[p.fieldIndex]!) : `${JSON.stringify(p.name)}:${JSON.stringify(values[p.fieldIndex]!)}`)).join(',');
    addExpectedRow(view, line, record, outcome, passthrough);
  });
  return view;
}

describe('fast CSV path against raw csv-parse and the README rules (seeded random RFC 4180 chunks)', () => {
  it(`gives every record's numbers, pass-through text, line and reject as the oracle does (${settings.cases.length} cases)`, (t) => {
    t.diagnostic(`FUZZ_SEED=${settings.seed} FUZZ_CASES=${settings.cases.length}`);
    const seen = { accepted: 0, rejected: 0, filled: 0 };
    for (const n of settings.cases) {
      const random = createCaseRandom(settings.seed, n);
      const where = describeReproduction(settings, n, import.meta.url);
      const plan = randomPlan(random);
      const firstLine = 1 + Math.floor(random() * 1000);
      const { text, records } = writeChunk(random, plan, firstLine);
      const expected = expectChunk(text, records, plan, where);
      const actual = viewParsedChunk(parseCsvChunkFast(Buffer.from(text, 'utf8'), firstLine, plan));
      assert.deepEqual(actual, expected, `${where}\nchunk: ${JSON.stringify(text)}\nplan: ${JSON.stringify(plan)}`);
      seen.accepted += expected.lines.length;
      seen.rejected += expected.rejects.length;
      if (plan.models[0]!.inputs.some((input) => input.fill !== undefined)) seen.filled++;
    }
    // The inputs must give both endings often, or the comparison proves little.
    if (settings.isFullRun && settings.cases.length >= 100) assert.ok(seen.accepted > 500 && seen.rejected > 500 && seen.filled > 20, JSON.stringify(seen));
  });
});
