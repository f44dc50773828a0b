import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { BIN, MODELS, ROOT, tempDir } from '../helpers/paths.js';

interface Stat {
  median: number;
  n: number;
}

interface PeerResult {
  key: string;
  predictions: string;
  cold: Stat;
  warm?: Stat;
  timing?: { startup: Stat; parallel: Stat };
}

interface Report {
  tables: { key: string; results: PeerResult[] }[];
  skipped: string[];
}

type Columns = Map<string, Float64Array>;

interface Predictions {
  readOutputColumns(manifest: string, bin: string): { columns: string[]; exact: Set<string> };
  readColumns(file: string, columns: string[]): Columns;
  comparePredictions(reference: Columns, other: Columns, exact: Set<string>): string;
}

const PEERS = ['row_by_row', 'ort_threaded', 'ort_threaded_ftz', 'ray_actor_pool', 'ray_data'];
const hasPython = spawnSync('python3', ['--version']).status === 0;
const isPythonRequired = hasPython || process.env.CI === 'true';

/** Replaces one cell of a predictions CSV (data row `row`, counted from 1) with `value`. */
function editCell(file: string, row: number, column: string, value: (old: string) => string): void {
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = lines[0]!.split(',').indexOf(column);
  const fields = lines[row]!.split(',');
  fields[at] = value(fields[at]!);
  lines[row] = fields.join(',');
  writeFileSync(file, lines.join('\n'));
}

// `npm run test:peers`: the peer benchmark on a tiny input, so that it cannot rot.
describe('peer benchmark smoke test', () => {
  it('runs batch-infer and every peer on the 4-model manifest and finds the same predictions everywhere', (t) => {
    const out = tempDir(t);
    const args = [join(ROOT, 'bench', 'peers', 'run.mjs'), '--rows', '300', '--rounds', '1', '--warm-runs', '1', '--manifests', 'all', '--out', out, ...(hasPython ? [] : ['--skip-python'])];
    const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 900_000 });
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(readFileSync(join(out, 'peers.json'), 'utf8')) as Report;
    assert.deepEqual(report.tables.map((table) => table.key), ['all']);
    const results = report.tables[0]!.results;
    const keys = results.map((r) => r.key);
    assert.deepEqual(keys.slice(0, 2), ['batch-infer-2', 'batch-infer-ort']);
    if (isPythonRequired) assert.deepEqual(keys.slice(2), PEERS, report.skipped.join('; '));
    for (const r of results) {
      assert.ok(r.predictions === 'match' || r.predictions === 'reference', `${r.key}: ${r.predictions}`);
      assert.ok(r.cold.median > 0, r.key);
    }
    // batch-infer's own breakdown of its cold run is kept, and its warm passes were measured.
    for (const r of results.slice(0, 2)) {
      assert.ok(r.timing !== undefined && r.timing.startup.median > 0 && r.timing.parallel.median > 0, r.key);
      assert.equal(r.warm?.n, 1, r.key);
    }
    const markdown = readFileSync(join(out, 'peers.md'), 'utf8');
    assert.match(markdown, /### 4 models: .* \(fixtures\/models\/manifest\.json\)/);
    assert.match(markdown, /\| batch-infer, 2 workers \| [\d.]+ \|/);
  });

  it('fails a peer whose output differs from batch-infer in one score beyond 1e-5 or in one label at all', async (t) => {
    const dir = tempDir(t);
    const predictions = (await import(pathToFileURL(join(ROOT, 'bench', 'peers', 'predictions.mjs')).href)) as Predictions;
    const manifest = join(MODELS, 'manifest.json');
    const input = join(dir, 'snapshot.csv');
    const reference = join(dir, 'batch-infer.csv');
    assert.equal(spawnSync(process.execPath, [BIN, 'generate', '--rows', '200', '-o', input]).status, 0);
    assert.equal(spawnSync(process.execPath, [BIN, 'run', input, '-m', manifest, '-o', reference, '-q']).status, 0);
    // A real peer's output of the same snapshot when Python is here; batch-infer's own otherwise.
    let peer = reference;
    if (isPythonRequired) {
      const python = join(ROOT, '.venv', 'peers-ort', 'bin', 'python');
      if (!existsSync(python)) assert.equal(spawnSync('bash', [join(ROOT, 'bench', 'peers', 'setup-venv.sh')]).status, 0);
      peer = join(dir, 'peer.csv');
      const script = join(ROOT, 'bench', 'peers', 'ort_threaded.py');
      const run = spawnSync(python, [script, '--input', input, '--manifest', manifest, '--output', peer, '--timing', join(dir, 't.json')], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
    }
    const { columns, exact } = predictions.readOutputColumns(manifest, BIN);
    assert.deepEqual([...exact].sort(), ['err_label', 'if_label']);
    const compare = (file: string): string => predictions.comparePredictions(predictions.readColumns(reference, columns), predictions.readColumns(file, columns), exact);
    assert.equal(compare(peer), 'match');

    const score = join(dir, 'score.csv');
    writeFileSync(score, readFileSync(peer));
    editCell(score, 5, 'p_error', (old) => String(Number(old) * (1 + 1e-4)));
    assert.match(compare(score), /^row 5 p_error: /);

    // 1e-7 more is within the float tolerance, but a label must be equal.
    const label = join(dir, 'label.csv');
    writeFileSync(label, readFileSync(peer));
    editCell(label, 7, 'err_label', (old) => String(Number(old) + 1e-7));
    assert.match(compare(label), /^row 7 err_label: .* \(exact\)$/);
  });
});
