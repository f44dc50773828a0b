import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';

describe('an input with no rows', () => {
  it('writes the header alone, exit 0, without starting a worker (16 workers of the 4-model manifest would take seconds)', (t) => {
    const dir = tempDir(t);
    const [header, first] = readFileSync(SNAPSHOT, 'utf8').split('\n');
    writeFileSync(join(dir, 'header-only.csv'), `${header}\n`);
    writeFileSync(join(dir, 'one-row.csv'), `${header}\n${first}\n`);
    const manifest = join(MODELS, 'manifest.json');
    const start = performance.now();
    const empty = runCli(['run', join(dir, 'header-only.csv'), '-m', manifest, '-w', '16', '--log-format', 'json']);
    const ms = performance.now() - start;
    assert.equal(empty.code, 0, empty.stderr);
    const events = empty.stderr.trimEnd().split('\n').map((line) => JSON.parse(line) as { event: string; startupMs?: number; rows?: number });
    const summary = events.find((e) => e.event === 'summary')!;
    assert.deepEqual([summary.rows, summary.startupMs], [0, 0]);
    assert.ok(ms < 5000, `took ${Math.round(ms)} ms`);
    // The same header a run with rows writes, so that a consumer reads both alike.
    const one = runCli(['run', join(dir, 'one-row.csv'), '-m', manifest, '-q']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(empty.stdout, `${one.stdout.split('\n')[0]}\n`);
  });

  it('still checks the header against the manifest', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'in.csv'), 'a,b,c\n');
    const result = runCli(['run', join(dir, 'in.csv'), '-m', join(MODELS, 'manifest.json')]);
    assert.equal(result.code, 65);
    assert.match(result.stderr, /is not in the header/);
  });
});
