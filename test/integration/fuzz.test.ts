import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { BatchInferError, EXIT_STATUSES, ExitCode, exitStatusOf, type ErrorCode } from '../../src/errors.js';
import { loadManifest } from '../../src/model/manifest.js';
import { scoreSnapshot, type PoolHandle, type SnapshotOptions } from '../../src/snapshot/score-snapshot.js';
import { startPool } from '../../src/snapshot/start-pool.js';
import { createCaseRandom, describeReproduction, readFuzzSettings } from '../helpers/fuzz-settings.js';
import { MemorySink } from '../helpers/memory-sink.js';
import { MODELS, SNAPSHOT } from '../helpers/paths.js';

// 200 cases in `npm test`; `npm run test:fuzz` runs 2,000.
/**
 * The errors damaged bytes may raise: the table's data errors (65), and INPUT_UNREADABLE (66) for bytes that
 * start like gzip but are not. The input is in memory, so nothing can be missing, and nothing else is allowed.
 */
const INPUT_ERRORS: readonly ErrorCode[] = [...(EXIT_STATUSES.find((row) => row.status === ExitCode.data)?.codes ?? []), 'INPUT_UNREADABLE'];
const settings = readFuzzSettings(200);
const lines = readFileSync(SNAPSHOT, 'utf8').trimEnd().split('\n');
const header = lines[0]!;
const body = lines.slice(1, 400);

type Mutation = (bytes: number[], random: () => number) => void;
const at = (bytes: number[], random: () => number): number => Math.floor(random() * (bytes.length + 1));
const MUTATIONS: Mutation[] = [
  (b, r) => void b.splice(at(b, r), 1 + Math.floor(r() * 20)), // delete a run of bytes
  (b, r) => void b.splice(at(b, r), 0, 0x22), // a stray quote
  (b, r) => void b.splice(at(b, r), 0, 0x2c), // an extra comma
  (b, r) => void b.splice(at(b, r), 0, 0x0a), // a newline
  (b, r) => void b.splice(at(b, r), 0, 0x0d, 0x0a), // a CRLF
  (b, r) => void b.splice(at(b, r), 0, Math.floor(r() * 256)), // any byte, invalid UTF-8 included
  (b, r) => void b.splice(at(b, r), 0, ...Buffer.from(['NaN', 'Infinity', '-', 'abc', '1e999', '""', '\u00e9'][Math.floor(r() * 7)]!)),
  (b, r) => void b.splice(at(b, r), 0, 0xff, 0xfe, 0x00),
  (b, r) => {
    const start = at(b, r);
    b.splice(start, 0, ...b.slice(start, start + Math.floor(r() * 300))); // duplicate a stretch
  },
  (b, r) => void b.splice(Math.floor(r() * b.length)), // truncate
  (b, r) => void b.splice(at(b, r), 0, ...new Array<number>(3000).fill(0x37)), // one very long field
];

/**
 * An independent count of the records the tool must account for: RFC 4180 records after the header (blank lines
 * before it skipped), blank lines excluded. A quote still open at the end of the input makes its record's first
 * line one record (a reject), and the lines after it are counted again from a line start with no quote open.
 */
function countRecords(bytes: Buffer, limit: number): number | undefined {
  let records = 0;
  let isHeader = true;
  let start = 0;
  while (start < bytes.length) {
    let isQuoted = false;
    let end = start;
    while (end < bytes.length && (isQuoted || bytes[end] !== 0x0a)) {
      if (bytes[end] === 0x22) isQuoted = !isQuoted;
      end++;
    }
    // Over the line limit, or a header left open: the splitter's own rules apply; skip the count.
    if (end - start > limit || (isQuoted && isHeader)) return undefined;
    if (isQuoted) {
      records++;
      const newline = bytes.indexOf(0x0a, start);
      if (newline === -1) break;
      start = newline + 1;
      continue;
    }
    const content = bytes.subarray(start, end);
    const isBlank = content.length === 0 || (content.length === 1 && content[0] === 0x0d);
    if (isHeader) isHeader = isBlank;
    else if (!isBlank) records++;
    start = end + 1;
  }
  return records;
}

/** Scores one mutated snapshot and checks that every record is accounted for; says how the case ended. */
async function runCase(handle: PoolHandle, n: number, where: string): Promise<'scored' | 'withRejects' | 'refused'> {
  const random = createCaseRandom(settings.seed, n);
  const rows = body.slice(0, 1 + Math.floor(random() * body.length));
  const bytes = [...Buffer.from(`${header}\n${rows.join(random() < 0.2 ? '\r\n' : '\n')}\n`)];
  const mutations = 1 + Math.floor(random() * 4);
  for (let m = 0; m < mutations; m++) MUTATIONS[Math.floor(random() * MUTATIONS.length)]!(bytes, random);
  const input = Buffer.from(bytes);
  const output = new MemorySink();
  const rejects = new MemorySink();
  const limit = 2048;
  const options: SnapshotOptions = {
    input: { path: `case-${n}.csv`, format: 'csv', source: [input] },
    outputFormat: 'csv',
    parser: random() < 0.8 ? 'fast' : 'reference',
    output,
    rejects,
    chunkSize: 1 + Math.floor(random() * 150),
    balanceFor: undefined,
    batchRows: 1 + Math.floor(random() * 40),
    maxInFlight: 4,
    maxRecordBytes: limit,
    retries: 0,
    chunkTimeoutMs: 20_000,
    compare: false,
    warmUp: false,
    deadline: undefined,
    signal: undefined,
  };
  let timing;
  try {
    timing = await scoreSnapshot(handle, options);
  } catch (error) {
    // A damaged header (or an empty input) is an input error with its status from the table, never a crash.
    assert.ok(error instanceof BatchInferError, `${where}: ${String(error)}`);
    assert.ok(INPUT_ERRORS.includes(error.code), `${where}: ${error.code}: ${error.message}`);
    assert.equal(error.exitCode, exitStatusOf(error.code), `${where}: ${error.message}`);
    assert.ok(output.isAborted || !output.isCommitted, `${where}: no output committed`);
    return 'refused';
  }
  const written = parse(output.text(), { columns: true, relax_column_count: false }) as unknown[];
  const rejected = parse(rejects.text(), { columns: true }) as { line: string; reason: string }[];
  assert.equal(written.length, timing.rowsOut, `${where}: rows written`);
  assert.equal(rejected.length, timing.rowsRejected, `${where}: rejects written`);
  assert.equal(timing.rows, timing.rowsOut + timing.rowsRejected, `${where}: rows in = out + rejected`);
  const expected = countRecords(input, limit);
  if (expected !== undefined) assert.equal(timing.rows, expected, `${where}: every record accounted for`);
  return timing.rowsRejected > 0 ? 'withRejects' : 'scored';
}

describe('fuzz: mutated snapshots, seeded', () => {
  let handle: PoolHandle;
  before(async () => {
    handle = await startPool(loadManifest(join(MODELS, 'manifest.json')), 2, 'thread');
  });
  after(async () => {
    await handle.pool.destroy();
  });

  it(`accounts for every row and never fails except with an input error from the table (${settings.cases.length} cases)`, async (t) => {
    t.diagnostic(`FUZZ_SEED=${settings.seed} FUZZ_CASES=${settings.cases.length}`);
    const outcomes = { scored: 0, withRejects: 0, refused: 0 };
    for (const n of settings.cases) {
      const where = describeReproduction(settings, n, import.meta.url);
      const outcome = await runCase(handle, n, where);
      outcomes[outcome]++;
    }
    // The mutations must really exercise all three outcomes, or this test proves little.
    const total = settings.cases.length;
    if (settings.isFullRun && total >= 100) {
      assert.ok(outcomes.scored > 0 && outcomes.withRejects > total / 4 && outcomes.refused > 0, `seed ${settings.seed}: ${JSON.stringify(outcomes)}`);
    }
  });
});
