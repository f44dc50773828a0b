import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { exitStatusOf, type ErrorCode } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { assertMatchesGoldens, readCsv } from '../helpers/golden.js';
import { BIN, MODELS, ROOT, SNAPSHOT, tempDir } from '../helpers/paths.js';

const MANIFEST = join(MODELS, 'manifest.json');
const AE_MANIFEST = join(MODELS, 'autoencoder.manifest.json');
const snapshotText = readFileSync(SNAPSHOT, 'utf8');
const snapshotLines = snapshotText.trimEnd().split('\n');
const FIXTURE_ROWS = snapshotLines.length - 1;

/** The fixture as NDJSON: numbers as JSON numbers, ids as strings. */
function snapshotAsNdjson(): string {
  const rows = readCsv(snapshotText);
  return rows
    .map((row) => JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, ['minute', 'target_id', 'transaction'].includes(k) ? v : Number(v)]))))
    .join('\n');
}

describe('batch-infer run', () => {
  it('scores the fixture file with every model, matching the Python goldens, in input order', () => {
    const result = runCli(['run', SNAPSHOT, '--manifest', MANIFEST, '--workers', '2', '--chunk-size', '700']);
    assert.equal(result.code, 0, result.stderr);
    const rows = readCsv(result.stdout);
    assert.equal(rows.length, FIXTURE_ROWS);
    assert.deepEqual(Object.keys(rows[0]!).slice(0, 4), ['minute', 'target_id', 'transaction', 'ae_score']);
    const inputRows = readCsv(snapshotText);
    rows.forEach((row, i) => assert.equal(`${row.target_id}|${row.transaction}|${row.minute}`, `${inputRows[i]!.target_id}|${inputRows[i]!.transaction}|${inputRows[i]!.minute}`));
    assert.equal(assertMatchesGoldens(rows, MANIFEST), FIXTURE_ROWS * 7);
    assert.match(result.stderr, /rows\s+5000 in, 5000 scored, 0 rejected/);
    assert.match(result.stderr, /parallelism/);
  });

  it('reads stdin with "-" and with no argument, giving the same bytes as the file', () => {
    const fromFile = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-q']);
    const dash = runCli(['run', '-', '-m', AE_MANIFEST, '-q'], { input: snapshotText });
    const none = runCli(['run', '-m', AE_MANIFEST, '-q'], { input: snapshotText });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(dash.stdout, fromFile.stdout);
    assert.equal(none.stdout, fromFile.stdout);
    assert.equal(dash.stderr, '');
  });

  it('reads NDJSON (by extension and sniffed on stdin) and writes NDJSON', (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'snapshot.ndjson');
    writeFileSync(file, snapshotAsNdjson());
    const csvOut = runCli(['run', SNAPSHOT, '-m', MANIFEST, '-q']);
    const byFile = runCli(['run', file, '-m', MANIFEST, '-q']);
    assert.equal(byFile.code, 0, byFile.stderr);
    assert.equal(byFile.stdout, csvOut.stdout);
    const sniffed = runCli(['run', '-m', MANIFEST, '-q', '--output-format', 'ndjson'], { input: readFileSync(file) });
    assert.equal(sniffed.code, 0, sniffed.stderr);
    const objects = sniffed.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, number | string>);
    assert.equal(objects.length, FIXTURE_ROWS);
    assert.equal(typeof objects[0]!.ae_score, 'number');
    assert.equal(objects[0]!.target_id, 'tgt-000');
    assertMatchesGoldens(objects, MANIFEST);
  });

  it("gives a notice when NDJSON's first record lacks a column the manifest fills, a misspelling for example", (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'snapshot.ndjson');
    writeFileSync(file, snapshotAsNdjson());
    const manifest = JSON.parse(readFileSync(AE_MANIFEST, 'utf8')) as { models: { path: string; inputs: { columns: string[]; fill?: number }[] }[] };
    manifest.models[0]!.path = join(MODELS, manifest.models[0]!.path);
    manifest.models[0]!.inputs[0]!.fill = 0;
    const filled = join(dir, 'filled.json');
    writeFileSync(filled, JSON.stringify(manifest));
    const spelt = runCli(['run', file, '-m', filled]);
    assert.equal(spelt.code, 0, spelt.stderr);
    assert.doesNotMatch(spelt.stderr, /first record has no/);

    manifest.models[0]!.inputs[0]!.columns[0] = 'tpss';
    const misspelt = join(dir, 'misspelt.json');
    writeFileSync(misspelt, JSON.stringify(manifest));
    const result = runCli(['run', file, '-m', misspelt]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /snapshot\.ndjson: the first record has no 'tpss'; with the manifest's fill, every record without it is filled/);
    assert.equal(readCsv(result.stdout).length, FIXTURE_ROWS);
    assert.equal(runCli(['run', file, '-m', misspelt, '-q']).stderr, '', '-q silences the notice');
  });

  it('decompresses gzip from a .gz file and from stdin', (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'snapshot.csv.gz');
    writeFileSync(file, gzipSync(snapshotText));
    const plain = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-q']);
    const gz = runCli(['run', file, '-m', AE_MANIFEST, '-q']);
    const gzStdin = runCli(['run', '-m', AE_MANIFEST, '-q', '--format', 'csv'], { input: gzipSync(snapshotText) });
    assert.equal(gz.code, 0, gz.stderr);
    assert.equal(gz.stdout, plain.stdout);
    assert.equal(gzStdin.stdout, plain.stdout);
  });

  it('keeps input order across hundreds of chunks', () => {
    // 715 chunks of 7 rows over 2 workers finish out of order; every row must still land in its place.
    const many = runCli(['run', SNAPSHOT, '-m', MANIFEST, '-q', '--chunk-size', '7', '--workers', '2']);
    assert.equal(many.code, 0, many.stderr);
    const rows = readCsv(many.stdout);
    const inputRows = readCsv(snapshotText);
    assert.equal(rows.length, FIXTURE_ROWS);
    rows.forEach((row, i) => assert.deepEqual([row.minute, row.target_id, row.transaction], [inputRows[i]!.minute, inputRows[i]!.target_id, inputRows[i]!.transaction]));
    // Goldens tie each prediction to its own input row, not just the pass-through columns.
    assertMatchesGoldens(rows, MANIFEST);
  });

  it('scores a chunk in slices of --batch-rows, every row in its place', () => {
    // Every model and output type of the fixture manifest (float scores, int64 labels, probabilities). The
    // runtime's kernels round the last float32 digit differently for some batch heights (a chunk of 97 rows
    // did so before slicing existed), so uneven slices are held to the goldens and power-of-two slices, the
    // default's kind, to the whole chunk's bytes.
    const whole = runCli(['run', SNAPSHOT, '-m', MANIFEST, '-q', '--chunk-size', '700', '--batch-rows', '100000']);
    const pow2 = runCli(['run', SNAPSHOT, '-m', MANIFEST, '-q', '--chunk-size', '700', '--batch-rows', '256']);
    const uneven = runCli(['run', SNAPSHOT, '-m', MANIFEST, '-q', '--chunk-size', '700', '--batch-rows', '97']);
    assert.equal(pow2.code, 0, pow2.stderr);
    assert.equal(pow2.stdout, whole.stdout);
    assert.equal(uneven.code, 0, uneven.stderr);
    const rows = readCsv(uneven.stdout);
    assert.equal(rows.length, FIXTURE_ROWS);
    assert.equal(assertMatchesGoldens(rows, MANIFEST), FIXTURE_ROWS * 7);
    const bad = runCli(['run', SNAPSHOT, '-m', MANIFEST, '-q', '--batch-rows', '0']);
    assert.equal(bad.code, exitStatusOf('USAGE'), bad.stderr);
    assert.match(bad.stderr, /--batch-rows/);
  });

  it('keeps stderr empty with -q and a dozen workers, stdout to a file', (t) => {
    // A file on stdout is a synchronous stream: every worker thread's piped stdout adds a listener to it, and
    // Node warned of a leak on stderr past ten.
    const out = join(tempDir(t), 'out.csv');
    const fd = openSync(out, 'w');
    try {
      const result = spawnSync(process.execPath, [BIN, 'run', SNAPSHOT, '-m', AE_MANIFEST, '-q', '--workers', '12'], { cwd: ROOT, stdio: ['ignore', fd, 'pipe'] });
      assert.equal(result.status, 0, result.stderr.toString());
      assert.equal(result.stderr.toString(), '');
    } finally {
      closeSync(fd);
    }
    assert.equal(readCsv(readFileSync(out, 'utf8')).length, FIXTURE_ROWS);
  });

  it('works with more workers than chunks, one row, and a header-only snapshot', (t) => {
    const dir = tempDir(t);
    const moreWorkers = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-q', '--workers', '4', '--chunk-size', '5000']);
    assert.equal(moreWorkers.code, 0, moreWorkers.stderr);
    assert.equal(readCsv(moreWorkers.stdout).length, FIXTURE_ROWS);

    const oneRow = join(dir, 'one.csv');
    writeFileSync(oneRow, `${snapshotLines[0]}\n${snapshotLines[1]}\n`);
    const single = runCli(['run', oneRow, '-m', MANIFEST, '--timing-json', join(dir, 'one.json')]);
    assert.equal(single.code, 0, single.stderr);
    const singleRows = readCsv(single.stdout);
    assert.equal(singleRows.length, 1);
    assertMatchesGoldens(singleRows, MANIFEST);
    const timing = JSON.parse(readFileSync(join(dir, 'one.json'), 'utf8')) as Record<string, number>;
    assert.equal(timing.rows, 1);
    assert.equal(timing.chunks, 1);

    const headerOnly = join(dir, 'header.csv');
    writeFileSync(headerOnly, `${snapshotLines[0]}\n`);
    const empty = runCli(['run', headerOnly, '-m', AE_MANIFEST]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, 'minute,target_id,transaction,ae_score,ae_anomaly\n');
    assert.match(empty.stderr, /0 in, 0 scored, 0 rejected/);
  });

  it('turns unscorable rows into rejects with line numbers and still scores the rest (exit 1)', (t) => {
    const dir = tempDir(t);
    const lines = [...snapshotLines];
    lines[3] = lines[3]!.replace(/,[^,]*$/, ''); // one field short
    lines[10] = lines[10]!.replace(/^([^,]*,[^,]*,[^,]*),[^,]*/, '$1,abc'); // tps not a number
    lines[20] = lines[20]!.replace(/^([^,]*,[^,]*,[^,]*),[^,]*/, '$1,'); // tps missing
    const input = join(dir, 'bad.csv');
    writeFileSync(input, `${lines.join('\r\n')}\r\n`);
    const rejects = join(dir, 'rejects.csv');
    const out = join(dir, 'out.csv');
    const result = runCli(['run', input, '-m', AE_MANIFEST, '-o', out, '--rejects', rejects, '--timing-json', join(dir, 't.json')]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /3 of 5000 rows rejected/);
    const rejected = readCsv(readFileSync(rejects, 'utf8'));
    assert.deepEqual(rejected.map((r) => r.line), ['4', '11', '21']);
    assert.match(rejected[0]!.reason!, /expected 17 fields, got 16/);
    assert.match(rejected[1]!.reason!, /column 'tps': 'abc' is not a number/);
    assert.match(rejected[2]!.reason!, /column 'tps': missing value/);
    assert.equal(rejected[1]!.record, lines[10]);
    const scored = readCsv(readFileSync(out, 'utf8'));
    const timing = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')) as Record<string, number>;
    assert.equal(scored.length + rejected.length, FIXTURE_ROWS);
    assert.equal(timing.rows, timing.rowsOut! + timing.rowsRejected!);
    assert.equal(timing.rowsRejected, 3);
    const kept = Array.from({ length: FIXTURE_ROWS }, (_, i) => i).filter((i) => ![2, 9, 19].includes(i));
    assertMatchesGoldens(scored, AE_MANIFEST, kept);
  });

  it('writes the timing JSON with every documented key, and --compare checks identical predictions', (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'timing.json');
    const result = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '--compare', '--timing-json', file, '-o', join(dir, 'out.csv'), '--chunk-size', '500']);
    assert.equal(result.code, 0, result.stderr);
    const timing = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const key of ['rows', 'rowsOut', 'rowsRejected', 'workers', 'chunkSize', 'chunks', 'wallMs', 'startupMs', 'parallelMs', 'busyMs', 'sequentialMs', 'speedup', 'identical', 'steadySequentialMs', 'steadyParallelMs', 'steadySpeedup']) {
      assert.ok(key in timing, `timing JSON has ${key}`);
    }
    assert.equal(timing.identical, true);
    assert.equal(timing.chunks, 10);
    assert.equal(timing.rows, FIXTURE_ROWS);
    // The speedups are ratios of these figures by definition; what can be wrong is the figures. Each pass scores
    // every row, one pass after another, so together they fit in the run's wall time; the workers' busy time fits
    // in the parallel phase; and one thread doing the workers' parsing and inference alone takes a share of their
    // time (here 0.4-0.9 of it; a tenth allows for a machine loaded while the workers ran).
    const ms = (key: string): number => timing[key] as number;
    const passes = ['parallelMs', 'sequentialMs', 'steadySequentialMs', 'steadyParallelMs'];
    assert.ok(passes.every((key) => ms(key) > 0), JSON.stringify(timing));
    assert.ok(passes.reduce((sum, key) => sum + ms(key), 0) < ms('wallMs'), JSON.stringify(timing));
    assert.ok(ms('busyMs') <= ms('workers') * ms('parallelMs') * 1.01, JSON.stringify(timing));
    const workerWork = ms('parseMs') + ms('inferMs');
    assert.ok(ms('sequentialMs') > workerWork / 10 && ms('steadySequentialMs') > workerWork / 10, JSON.stringify(timing));
    // The table prints this run's figures, not the steady state's.
    assert.match(result.stderr, new RegExp(`speedup\\s+${ms('speedup').toFixed(2)}x`));
    assert.match(result.stderr, new RegExp(`steady state.*: ${ms('steadySpeedup').toFixed(2)}x`));
    assert.match(result.stderr, /identical\s+yes/);
  });

  it('balances default chunks over the workers, and keeps a chosen --chunk-size exactly', (t) => {
    const dir = tempDir(t);
    const chunksOf = (args: string[]): { chunks: number; chunkSize: number; rows: number } => {
      const file = join(dir, `t${args.join('')}.json`);
      const result = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-o', join(dir, 'out.csv'), '--timing-json', file, ...args]);
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(readFileSync(file, 'utf8')) as { chunks: number; chunkSize: number; rows: number };
    };
    for (const workers of ['2', '3']) {
      const timing = chunksOf(['-w', workers]);
      assert.equal(timing.rows, FIXTURE_ROWS);
      assert.equal(timing.chunks, Number(workers), `${FIXTURE_ROWS} rows in chunks of ${timing.chunkSize}`);
      assert.equal(timing.chunkSize % 16, 0);
    }
    const chosen = chunksOf(['-w', '2', '--chunk-size', '1500']);
    assert.equal(chosen.chunkSize, 1500);
    assert.equal(chosen.chunks, Math.ceil(FIXTURE_ROWS / 1500));
  });

  it('writes --output atomically and leaves nothing behind when the run fails', (t) => {
    const dir = tempDir(t);
    const out = join(dir, 'predictions.csv');
    const ok = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-o', out, '-q']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, '');
    assert.equal(readCsv(readFileSync(out, 'utf8')).length, FIXTURE_ROWS);
    assert.deepEqual(readdirSync(dir), ['predictions.csv']);

    const badHeader = join(dir, 'bad-header.csv');
    writeFileSync(badHeader, 'a,b\n1,2\n');
    const failed = runCli(['run', badHeader, '-m', AE_MANIFEST, '-o', join(dir, 'never.csv')]);
    assert.equal(failed.code, exitStatusOf('INPUT_HEADER'), failed.stderr);
    assert.equal(existsSync(join(dir, 'never.csv')), false);
    assert.deepEqual(readdirSync(dir).sort(), ['bad-header.csv', 'predictions.csv']);
  });

  it('refuses to overwrite its input', () => {
    const result = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-o', SNAPSHOT]);
    assert.equal(result.code, exitStatusOf('USAGE'), result.stderr);
    assert.match(result.stderr, /--output .*is the same file as the input/);
  });

  it('takes a bare --model with the last K columns as features by default', () => {
    const quick = runCli(['run', SNAPSHOT, '--model', join(MODELS, 'autoencoder.onnx'), '-q']);
    assert.equal(quick.code, 0, quick.stderr);
    const rows = readCsv(quick.stdout);
    assert.deepEqual(Object.keys(rows[0]!), ['minute', 'target_id', 'transaction', 'reconstruction_error', 'reconstruction_0', ...Array.from({ length: 13 }, (_, i) => `reconstruction_${i + 1}`)]);
    assertMatchesGoldens(rows.map((r) => ({ ae_score: r.reconstruction_error! })), AE_MANIFEST);
  });
});

describe('batch-infer run: errors a user can make', () => {
  // `error`: the code of the error each mistake must raise; the test expects its status from the exit-code table.
  const cases: { name: string; args: string[]; error: ErrorCode; message: RegExp; files?: Record<string, string> }[] = [
    { name: 'no manifest', args: ['run', SNAPSHOT], error: 'USAGE', message: /--manifest FILE \(or --model FILE\.onnx\) is required/ },
    { name: 'missing manifest file', args: ['run', SNAPSHOT, '-m', 'nope.json'], error: 'INPUT_NOT_FOUND', message: /--manifest nope\.json: no such file/ },
    { name: 'missing input file', args: ['run', 'nope.csv', '-m', AE_MANIFEST], error: 'INPUT_NOT_FOUND', message: /nope\.csv: no such file/ },
    { name: '--lock in a missing directory', args: ['run', SNAPSHOT, '-m', AE_MANIFEST, '--lock', join(ROOT, 'no-such-dir', 'run.lock')], error: 'OUTPUT_UNWRITABLE', message: /--lock .*run\.lock: ENOENT/ },
    { name: 'missing --config file', args: ['run', SNAPSHOT, '-m', AE_MANIFEST, '--config', 'nope.json'], error: 'INPUT_NOT_FOUND', message: /--config nope\.json: no such file/ },
    { name: 'bad chunk size', args: ['run', SNAPSHOT, '-m', AE_MANIFEST, '--chunk-size', '0'], error: 'USAGE', message: /--chunk-size must be a positive integer, got '0'/ },
    { name: 'bad workers', args: ['run', SNAPSHOT, '-m', AE_MANIFEST, '--workers', 'abc'], error: 'USAGE', message: /--workers must be a positive integer, got 'abc'/ },
    { name: 'bad format', args: ['run', SNAPSHOT, '-m', AE_MANIFEST, '--format', 'xml'], error: 'USAGE', message: /--format must be one of csv, ndjson, got 'xml'/ },
    { name: 'unknown flag', args: ['run', SNAPSHOT, '--frobnicate'], error: 'USAGE', message: /unknown option '--frobnicate'/ },
    { name: 'manifest not JSON', args: ['run', SNAPSHOT, '-m', 'M'], files: { M: '{ nope' }, error: 'MANIFEST_INVALID', message: /manifest .*M: not valid JSON/ },
    {
      name: 'manifest input name not in the model',
      args: ['run', SNAPSHOT, '-m', 'M'],
      files: { M: JSON.stringify({ models: [{ path: join(MODELS, 'autoencoder.onnx'), inputs: [{ name: 'x', columns: ['tps'] }], outputs: [{ name: 'reconstruction_error', columns: ['s'] }] }] }) },
      error: 'MANIFEST_MISMATCH',
      message: /input 'x' is not an input of the model \(it has metrics float32\[N, 14\]\)/,
    },
    {
      name: 'manifest with the wrong number of feature columns',
      args: ['run', SNAPSHOT, '-m', 'M'],
      files: { M: JSON.stringify({ models: [{ path: join(MODELS, 'autoencoder.onnx'), inputs: [{ name: 'metrics', columns: ['tps', 'cpu_time_ms'] }], outputs: [{ name: 'reconstruction_error', columns: ['s'] }] }] }) },
      error: 'MANIFEST_MISMATCH',
      message: /input 'metrics' takes 14 features, the manifest lists 2 columns/,
    },
    {
      name: 'manifest column missing from the header',
      args: ['run', SNAPSHOT, '-m', 'M'],
      files: { M: JSON.stringify({ models: [{ path: join(MODELS, 'latency.onnx'), inputs: [{ name: 'features', columns: Array.from({ length: 12 }, (_, i) => (i === 0 ? 'nope' : `c${i}`)) }], outputs: [{ name: 'variable', columns: ['y'] }] }] }) },
      error: 'INPUT_HEADER',
      message: /line 1: column 'nope' \(input 'features' of model model0\) is not in the header/,
    },
    {
      name: 'manifest output not in the model',
      args: ['run', SNAPSHOT, '-m', 'M'],
      files: { M: JSON.stringify({ models: [{ path: join(MODELS, 'latency.onnx'), inputs: [{ name: 'features', columns: ['tps'] }], outputs: [{ name: 'nope', columns: ['y'] }] }] }) },
      error: 'MANIFEST_MISMATCH',
      message: /input 'features' takes 12 features|output 'nope' is not an output/,
    },
    {
      name: 'model file that is not a model',
      args: ['run', SNAPSHOT, '-m', 'M'],
      files: { M: JSON.stringify({ models: [{ path: 'M', inputs: [{ name: 'x', columns: ['tps'] }], outputs: [{ name: 'y', columns: ['y'] }] }] }) },
      error: 'MODEL_LOAD',
      message: /model .*M: cannot load/,
    },
    { name: 'empty input', args: ['run', 'E', '-m', AE_MANIFEST], files: { E: '' }, error: 'INPUT_HEADER', message: /empty input, no header line/ },
  ];
  for (const testCase of cases) {
    it(`exits ${exitStatusOf(testCase.error)} (${testCase.error}) with a one-line message: ${testCase.name}`, (t) => {
      const dir = tempDir(t);
      const args = testCase.args.map((arg) => (testCase.files?.[arg] === undefined ? arg : join(dir, arg)));
      for (const [name, content] of Object.entries(testCase.files ?? {})) writeFileSync(join(dir, name), content);
      const result = runCli(args);
      assert.equal(result.code, exitStatusOf(testCase.error), result.stderr);
      assert.match(result.stderr, testCase.message);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, `one line: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
      assert.equal(result.stdout, '');
    });
  }

  it('prints a stack trace only with --debug', () => {
    const result = runCli(['run', 'nope.csv', '-m', AE_MANIFEST, '--debug']);
    assert.equal(result.code, exitStatusOf('INPUT_NOT_FOUND'), result.stderr);
    assert.match(result.stderr, /\n\s+at /);
  });
});

describe('batch-infer inspect', () => {
  it("prints a model's inputs and outputs and a starting manifest", () => {
    const result = runCli(['inspect', join(MODELS, 'classifier.onnx')]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /features\s+float32\s+\[N, 6\]/);
    assert.match(result.stdout, /probabilities\s+float32/);
    const manifest = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as { models: { outputs: { columns: string[] }[] }[] };
    assert.deepEqual(manifest.models[0]!.outputs.map((o) => o.columns.length), [1, 2]);
  });
});
