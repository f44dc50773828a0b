import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BoundInput, ScoringPlan } from '../../src/model/scoring-plan.js';
import { parseNdjsonChunk } from '../../src/scoring/parse/parse-chunk.js';
import { createCaseRandom, describeReproduction, readFuzzSettings } from '../helpers/fuzz-settings.js';
import { addExpectedRow, emptyChunkView, renderCsvField, settleNumber, settleRow, settleText, viewParsedChunk, type ChunkView, type FeatureOutcome } from '../helpers/oracle-rules.js';

const settings = readFuzzSettings(200);

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const digits = (random: Random, count: number): string => Array.from({ length: count }, () => String(Math.floor(random() * 10))).join('');

/** A JSON number: long digit runs, and exponents past float32 and past a double (JSON.parse gives Infinity). */
function jsonNumber(random: Random): string {
  const whole = random() < 0.2 ? '0' : `${1 + Math.floor(random() * 9)}${digits(random, pick(random, [0, 1, 3, 8, 20]))}`;
  const fraction = random() < 0.5 ? `.${digits(random, 1 + Math.floor(random() * 20))}` : '';
  const exponent = random() < 0.3 ? `${pick(random, ['e', 'E'])}${pick(random, ['', '+', '-'])}${pick(random, ['1', '7', '38', '39', '45', '308', '400'])}` : '';
  return `${random() < 0.3 ? '-' : ''}${whole}${fraction}${exponent}`;
}

/** Strings a feature may hold: numbers as text (spaces around), blanks, non-finite spellings, words, unicode. */
const TEXTS = ['1.5', ' 2 ', '\t-3e2', '.5', '', ' ', 'NaN', 'Infinity', '-Infinity', '1e400', '3.5e38', 'abc', '0x10', '1,000', 'é', '😀 ☕', 'line\nbreak', 'quote"d', '\u00a01'];
/** The same strings written with JSON escapes, which JSON.parse turns back into the characters. */
const ESCAPED = ['"\\u00e9"', '"\\ud83d\\ude00"', '"tab\\there"', '"\\"q\\""', '"back\\\\slash"', '"\\u0031\\u002e5"', '"\\u00A01"'];

/** One JSON value, as written in the line. */
function jsonValue(random: Random, depth = 0): string {
  const r = random();
  if (r < 0.45) return jsonNumber(random);
  if (r < 0.7) return JSON.stringify(pick(random, TEXTS));
  if (r < 0.75) return pick(random, ESCAPED);
  if (r < 0.83) return 'null';
  if (r < 0.87) return pick(random, ['true', 'false']);
  if (depth > 1) return '[]';
  // Nested values, whose inner keys may be a feature's name: only the top level counts.
  if (r < 0.94) return `{"k0":${jsonValue(random, depth + 1)},"inner":[${jsonValue(random, depth + 1)}]}`;
  return `[${jsonValue(random, depth + 1)},${jsonValue(random, depth + 1)}]`;
}

/** Lines that are not JSON objects, and lines that are not JSON at all. */
const BAD_LINES = ['[1,2]', '1', '"k0"', 'null', 'true', '{"k0":1', '{k0:1}', 'not json', '{"k0":1}}', "{'k0':1}", '{"k0":01}', '{"k0":NaN}', '{"k0":1,}', '{"k0":.5}', '{"k0":"a\tb"}'];
const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'other'];

interface WrittenLine {
  text: string;
  line: number;
  /** For an object line: the text of each top-level number, by key, as written (the last one, for a key given twice). */
  numbers: Map<string, string>;
}

/** One record line: an object with some of the keys (some twice, some missing), or a bad line. */
function writeLine(random: Random): { text: string; numbers: Map<string, string> } {
  const numbers = new Map<string, string>();
  if (random() < 0.1) return { text: pick(random, BAD_LINES), numbers };
  const space = (): string => pick(random, ['', '', ' ', '\t']);
  const members: string[] = [];
  for (const key of KEYS) {
    for (let copy = 0; copy < (random() < 0.05 ? 2 : 1); copy++) {
      if (random() < 0.15) continue;
      const value = jsonValue(random);
      if (/^-?\d/.test(value)) numbers.set(key, value);
      else numbers.delete(key);
      members.push(`${space()}${JSON.stringify(key)}${space()}:${space()}${value}${space()}`);
    }
  }
  return { text: `{${members.join(',')}}`, numbers };
}

/** A plan reading keys k0..k4: some passed through, 1-2 float inputs over any of them (repeats too), fills or not. */
function randomPlan(random: Random): ScoringPlan {
  const names = KEYS.slice(0, 5);
  const passthrough = names.flatMap((name) => (random() < 0.5 ? [{ name, fieldIndex: -1 }] : []));
  const inputs: BoundInput[] = Array.from({ length: 1 + Math.floor(random() * 2) }, (_, i) => {
    const columns = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(random, names));
    const fill = random() < 0.5 ? undefined : pick(random, [0, -1, 2.5, Math.fround(0.1)]);
    return { name: `x${i}`, type: random() < 0.7 ? 'float32' : 'float64', columns, fieldIndexes: columns.map(() => -1), fill };
  });
  return {
    inputFormat: 'ndjson',
    outputFormat: random() < 0.6 ? 'csv' : 'ndjson',
    parser: 'fast',
    batchRows: 1024,
    fieldCount: 0,
    passthrough,
    models: [{ name: 'm', path: '/m.onnx', inputs, outputs: [{ name: 'y', columns: ['y'] }], thresholds: [], batchSize: undefined, keepsNonFinite: false }],
    outputColumns: [...passthrough.map((p) => p.name), 'y'],
  };
}

/** A chunk of lines, CRLF or LF, with blank lines (empty, CR alone, or spaces and tabs only) between them. */
function writeChunk(random: Random, firstLine: number): { text: string; lines: WrittenLine[] } {
  let text = '';
  let line = firstLine;
  const lines: WrittenLine[] = [];
  const count = 1 + Math.floor(random() * 25);
  for (let r = 0; r < count; r++) {
    while (random() < 0.1) {
      text += `${pick(random, ['', '\r', ' ', ' \t '])}${pick(random, ['\n', '\r\n'])}`;
      line++;
    }
    const written = writeLine(random);
    lines.push({ ...written, line });
    text += written.text;
    if (r < count - 1 || random() < 0.7) text += pick(random, ['\n', '\r\n']);
    line++;
  }
  return { text, lines };
}

/** A feature's value from the object JSON.parse gave, by the README's NDJSON rules. */
function settleJsonFeature(value: unknown, numberText: string | undefined, input: BoundInput): FeatureOutcome {
  // "missing or `null` features are missing"
  if (value === undefined || value === null) return input.fill === undefined ? { reason: 'missing value' } : { value: input.fill };
  // "JSON numbers, or strings that are numbers"; a number's reason quotes its own text, which JSON.parse rounds.
  if (typeof value === 'number') return settleNumber(value, numberText ?? String(value), input);
  if (typeof value === 'string') return settleText(value, input);
  // "A non-numeric feature is always a reject": true, an object or an array, quoted as JSON.
  return { reason: `'${JSON.stringify(value)}' is not a number` };
}

function renderPassthrough(value: unknown, plan: ScoringPlan, name: string): string {
  if (plan.outputFormat === 'ndjson') return `${JSON.stringify(name)}:${value === undefined ? 'null' : JSON.stringify(value)}`;
  if (value === undefined || value === null) return '';
  return renderCsvField(typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value));
}

/** The oracle: JSON.parse of each line, settled by the README's rules. */
function expectChunk(lines: WrittenLine[], plan: ScoringPlan): ChunkView {
  const view = emptyChunkView(plan);
  for (const { text, line, numbers } of lines) {
    let object: unknown;
    try {
      object = JSON.parse(text);
    } catch (error) {
      addExpectedRow(view, line, text, { reason: `not JSON: ${(error as Error).message}` }, () => '');
      continue;
    }
    if (object === null || typeof object !== 'object' || Array.isArray(object)) {
      addExpectedRow(view, line, text, { reason: 'not a JSON object' }, () => '');
      continue;
    }
    const row = object as Record<string, unknown>;
    const outcome = settleRow(plan, (input, k) => settleJsonFeature(row[input.columns[k]!], numbers.get(input.columns[k]!), input));
    addExpectedRow(view, line, text, outcome, () => plan.passthrough.map((p) => renderPassthrough(row[p.name], plan, p.name)).join(','));
  }
  return view;
}

describe('NDJSON parsing against JSON.parse per line and the README rules (seeded random chunks)', () => {
  it(`gives every line's numbers, pass-through values, line and reject as the oracle does (${settings.cases.length} cases)`, (t) => {
    t.diagnostic(`FUZZ_SEED=${settings.seed} FUZZ_CASES=${settings.cases.length}`);
    const seen = { accepted: 0, rejected: 0 };
    for (const n of settings.cases) {
      const random = createCaseRandom(settings.seed, n);
      const where = describeReproduction(settings, n, import.meta.url);
      const plan = randomPlan(random);
      const firstLine = 1 + Math.floor(random() * 1000);
      const { text, lines } = writeChunk(random, firstLine);
      const expected = expectChunk(lines, plan);
      const actual = viewParsedChunk(parseNdjsonChunk(Buffer.from(text, 'utf8'), firstLine, plan));
      assert.deepEqual(actual, expected, `${where}\nchunk: ${JSON.stringify(text)}\nplan: ${JSON.stringify(plan)}`);
      seen.accepted += expected.lines.length;
      seen.rejected += expected.rejects.length;
    }
    // The lines must give both endings often, or the comparison proves little.
    if (settings.isFullRun && settings.cases.length >= 100) assert.ok(seen.accepted > 300 && seen.rejected > 300, JSON.stringify(seen));
  });
});
