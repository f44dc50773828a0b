import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { readCsv } from '../helpers/golden.js';
import { BIN, MODELS, tempDir } from '../helpers/paths.js';
import { startCli, waitFor } from '../helpers/spawn.js';

const AE = join(MODELS, 'autoencoder.manifest.json');

/** Snapshots named with times in mixed styles, created out of time order. */
function makeSnapshots(dir: string, count: number, rows = 300): string[] {
  mkdirSync(dir, { recursive: true });
  const names: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const minute = String(i).padStart(2, '0');
    const name = i % 2 === 0 ? `apm-2026-11-30T10-${minute}.csv` : `apm_20261130-10${minute}.csv`;
    spawnSync(process.execPath, [BIN, 'generate', '--rows', String(rows), '--seed', String(100 + i), '-o', join(dir, name)]);
    names.unshift(name);
  }
  return names;
}

function outputsOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.out.csv') || n.endsWith('.rejects.csv')).sort()) out[name] = readFileSync(join(dir, name), 'utf8');
  return out;
}

describe('batch-infer replay', () => {
  it('scores every snapshot in time order through one pool, one output each', (t) => {
    const dir = tempDir(t);
    const names = makeSnapshots(join(dir, 'in'), 6);
    const timing = join(dir, 't.json');
    const result = runCli(['replay', join(dir, 'in'), '-m', AE, '--out-dir', join(dir, 'out'), '--timing-json', timing]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(readFileSync(timing, 'utf8')) as { poolStarts: number; rows: number; results: { input: string; status: string }[] };
    assert.equal(summary.poolStarts, 1);
    assert.equal(summary.rows, 6 * 300);
    assert.deepEqual(summary.results.map((r) => r.input.replace(/^.*\//, '')), names);
    const journal = readFileSync(join(dir, 'out', 'replay-journal.ndjson'), 'utf8').trim().split('\n');
    assert.equal(journal.length, 6);
    for (const name of names) {
      const rows = readCsv(readFileSync(join(dir, 'out', name.replace('.csv', '.out.csv')), 'utf8'));
      assert.equal(rows.length, 300);
    }
    assert.match(result.stderr, /snapshots\s+6: 6 scored, 0 skipped/);
    assert.match(result.stderr, /slowest/);
  });

  it('gives the same outputs as run, for a large snapshot cut into chunks and small ones scored whole in a worker', (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'in'));
    // 12,000 rows is over the 1 MiB a worker takes whole; 500 rows is under it.
    spawnSync(process.execPath, [BIN, 'generate', '--rows', '12000', '--seed', '5', '-o', join(dir, 'in', 'apm-2026-11-30T09-00.csv')]);
    spawnSync(process.execPath, [BIN, 'generate', '--rows', '500', '--seed', '6', '-o', join(dir, 'in', 'apm-2026-11-30T09-01.csv')]);
    const lines = readFileSync(join(dir, 'in', 'apm-2026-11-30T09-01.csv'), 'utf8').split('\n');
    lines[3] = lines[3]!.replace(/,[^,]*$/, ',oops');
    writeFileSync(join(dir, 'in', 'apm-2026-11-30T09-01.csv'), lines.join('\n'));
    const result = runCli(['replay', join(dir, 'in'), '-m', AE, '--out-dir', join(dir, 'out'), '-c', '1000', '-q']);
    assert.equal(result.code, 1, result.stderr);
    for (const name of ['apm-2026-11-30T09-00', 'apm-2026-11-30T09-01']) {
      const rejects = join(dir, `${name}.run-rejects.csv`);
      const run = runCli(['run', join(dir, 'in', `${name}.csv`), '-m', AE, '-c', '1000', '-q', '--rejects', rejects]);
      assert.equal(readFileSync(join(dir, 'out', `${name}.out.csv`), 'utf8'), run.stdout, name);
      if (name.endsWith('01')) assert.equal(readFileSync(join(dir, 'out', `${name}.rejects.csv`), 'utf8'), readFileSync(rejects, 'utf8'));
    }
    assert.equal(existsSync(join(dir, 'out', 'apm-2026-11-30T09-00.rejects.csv')), false, 'no rejects file without rejects');
  });

  it('takes globs and a --from/--to time range', (t) => {
    const dir = tempDir(t);
    makeSnapshots(join(dir, 'in'), 6);
    const timing = join(dir, 't.json');
    const result = runCli(['replay', join(dir, 'in', '*.csv'), '-m', AE, '--out-dir', join(dir, 'out'), '--from', '2026-11-30T10:02', '--to', '2026-11-30T10:05', '--timing-json', timing, '-q']);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(readFileSync(timing, 'utf8')) as { results: { input: string }[] };
    assert.deepEqual(summary.results.map((r) => r.input.replace(/^.*\//, '')), ['apm-2026-11-30T10-02.csv', 'apm_20261130-1003.csv', 'apm-2026-11-30T10-04.csv']);
  });

  it('reports and skips a bad snapshot, scores the others, and exits 4', (t) => {
    const dir = tempDir(t);
    const names = makeSnapshots(join(dir, 'in'), 3);
    writeFileSync(join(dir, 'in', names[1]!), 'wrong,header\n1,2\n');
    const result = runCli(['replay', join(dir, 'in'), '-m', AE, '--out-dir', join(dir, 'out')]);
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /skipped .*apm_20261130-1001\.csv: .*column 'tps' .* is not in the header/);
    assert.deepEqual(Object.keys(outputsOf(join(dir, 'out'))).filter((n) => n.endsWith('.out.csv')), ['apm-2026-11-30T10-00.out.csv', 'apm-2026-11-30T10-02.out.csv']);
    // --quiet silences everything but errors, and a failed snapshot is one.
    const quiet = runCli(['replay', join(dir, 'in'), '-m', AE, '--out-dir', join(dir, 'quiet'), '-q']);
    assert.equal(quiet.code, 4, quiet.stderr);
    assert.match(quiet.stderr, /^batch-infer: skipped .*apm_20261130-1001\.csv: .*column 'tps' .* is not in the header\n$/);
  });

  it('--resume after a kill ends with the same outputs as a replay that never stopped', async (t) => {
    const dir = tempDir(t);
    makeSnapshots(join(dir, 'in'), 12, 3000);
    const clean = runCli(['replay', join(dir, 'in'), '-m', AE, '--out-dir', join(dir, 'clean'), '-q', '-c', '500']);
    assert.equal(clean.code, 0, clean.stderr);

    const killed = startCli(['replay', join(dir, 'in'), '-m', AE, '--out-dir', join(dir, 'resumed'), '--log-format', 'json', '-c', '500']);
    await waitFor(() => (killed.stderr().match(/"event":"snapshot"/g) ?? []).length >= 3);
    killed.child.kill('SIGKILL');
    await killed.done;
    const partial = readFileSync(join(dir, 'resumed', 'replay-journal.ndjson'), 'utf8').trim().split('\n').length;
    assert.ok(partial >= 3 && partial < 12, `killed after ${partial} snapshots`);

    const timing = join(dir, 't.json');
    const resumed = runCli(['replay', join(dir, 'in'), '-m', AE, '--out-dir', join(dir, 'resumed'), '--resume', '--timing-json', timing, '-q', '-c', '500']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const summary = JSON.parse(readFileSync(timing, 'utf8')) as { skipped: number; done: number };
    assert.equal(summary.skipped + summary.done, 12);
    assert.ok(summary.skipped >= partial - 1, `skipped ${summary.skipped} of ${partial} journalled`);
    assert.deepEqual(outputsOf(join(dir, 'resumed')), outputsOf(join(dir, 'clean')));
  });

  it('redoes an input whose output no longer matches the journal', (t) => {
    const dir = tempDir(t);
    makeSnapshots(join(dir, 'in'), 2);
    const args = ['replay', join(dir, 'in'), '-m', AE, '--out-dir', join(dir, 'out'), '-q'];
    assert.equal(runCli(args).code, 0);
    writeFileSync(join(dir, 'out', 'apm-2026-11-30T10-00.out.csv'), 'tampered\n');
    const timing = join(dir, 't.json');
    assert.equal(runCli([...args, '--resume', '--timing-json', timing]).code, 0);
    const summary = JSON.parse(readFileSync(timing, 'utf8')) as { skipped: number; done: number };
    assert.deepEqual([summary.done, summary.skipped], [1, 1]);
    assert.equal(readCsv(readFileSync(join(dir, 'out', 'apm-2026-11-30T10-00.out.csv'), 'utf8')).length, 300);
  });
});
