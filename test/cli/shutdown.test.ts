import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { MODELS, tempDir } from '../helpers/paths.js';
import { startCli, waitFor } from '../helpers/spawn.js';

/**
 * A signal while chunks of two snapshots are on the workers and more wait for a slot: the pool used to be stopped
 * with threads still inside session.run(), and the process aborted natively (exit 134, "terminate called after
 * throwing an instance of 'Napi::Error'") in most tries, leaving temporary files behind.
 */
describe('stopping replay with a signal while chunks are being scored', () => {
  it('exits 130 or 143 every time, keeps completed snapshots whole and leaves nothing partial', async (t) => {
    const dir = tempDir(t);
    const inDir = join(dir, 'in');
    const generated = runCli(['generate', '--rows', '20000', '-o', join(dir, 'one.csv')]);
    assert.equal(generated.code, 0, generated.stderr);
    const names = Array.from({ length: 6 }, (_, i) => `apm-2026-12-01T00-0${i}.csv`);
    mkdirSync(inDir);
    for (const name of names) copyFileSync(join(dir, 'one.csv'), join(inDir, name));
    // The IsolationForest alone: slow enough (about 11 us a row a thread) that chunks are always in flight.
    const manifest = join(MODELS, 'iforest.manifest.json');
    for (const [attempt, signal] of (['SIGINT', 'SIGTERM', 'SIGINT'] as const).entries()) {
      const outDir = join(dir, `out-${attempt}`);
      const run = startCli(['replay', inDir, '-m', manifest, '--out-dir', outDir, '-c', '4096', '-q']);
      // Once the first snapshot is written, the next ones are being read and scored.
      await waitFor(() => existsSync(outDir) && readdirSync(outDir).some((f) => f.endsWith('.out.csv')), 60_000);
      run.child.kill(signal);
      const result = await run.done;
      assert.equal(result.code, signal === 'SIGINT' ? 130 : 143, `try ${attempt}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /terminate called|Napi::Error/);
      const left = readdirSync(outDir);
      assert.deepEqual(left.filter((f) => f.endsWith('.tmp')), [], `try ${attempt}: temporary files left`);
      // Every output present is whole: 20,000 rows and a header, as the journal says.
      const journal = readFileSync(join(outDir, 'replay-journal.ndjson'), 'utf8').trim().split('\n').filter(Boolean);
      const outputs = left.filter((f) => f.endsWith('.out.csv'));
      assert.equal(outputs.length, journal.length);
      for (const output of outputs) assert.equal(readFileSync(join(outDir, output), 'utf8').trimEnd().split('\n').length, 20_001);
      assert.ok(outputs.length < names.length, `try ${attempt}: the signal came too late to test anything`);
    }
  });
});
