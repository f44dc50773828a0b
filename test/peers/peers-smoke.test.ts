import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, tempDir } from '../helpers/paths.js';

interface PeerResult {
  key: string;
  predictions: string;
  coldMs?: number;
  warmMs?: number;
}

// `npm run test:peers`: the peer benchmark on a tiny input, so that it cannot rot.
describe('peer benchmark smoke test', () => {
  it('runs every peer on a tiny input and finds the same predictions everywhere', (t) => {
    const out = tempDir(t);
    const hasPython = spawnSync('python3', ['--version']).status === 0;
    const args = [join(ROOT, 'bench', 'peers', 'run.mjs'), '--rows', '300', '--warm-runs', '1', '--out', out, ...(hasPython ? [] : ['--skip-python'])];
    const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 900_000 });
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(readFileSync(join(out, 'peers.json'), 'utf8')) as { results: PeerResult[]; skipped: string[]; limit: { limitRowsPerSec: number; concurrent: { rowsPerSec: number } } };
    const keys = report.results.map((r) => r.key);
    assert.deepEqual(keys.slice(0, 3), ['batch-infer-1', 'batch-infer-2', 'batch-infer-warm']);
    if (hasPython || process.env.CI === 'true') {
      assert.deepEqual(keys.slice(3), ['row_by_row', 'ray_actor_pool', 'ray_data'], report.skipped.join('; '));
    }
    for (const r of report.results) assert.ok(r.predictions === 'match' || r.predictions === 'reference', `${r.key}: ${r.predictions}`);
    assert.ok(report.limit.limitRowsPerSec > 0);
    // Inference alone on every core at once: measured, and never above the limit by more than noise.
    assert.ok(report.limit.concurrent.rowsPerSec > 0 && report.limit.concurrent.rowsPerSec < 1.2 * report.limit.limitRowsPerSec);
    assert.match(readFileSync(join(out, 'peers.md'), 'utf8'), /\| inference alone, \d+ threads at once/);
    assert.match(readFileSync(join(out, 'peers.md'), 'utf8'), /\| batch-infer warm/);
  });
});
