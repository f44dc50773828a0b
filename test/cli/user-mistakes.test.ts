import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exitStatusOf } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { MODELS, ROOT, SNAPSHOT, tempDir } from '../helpers/paths.js';

/** Mistakes that used to end as "internal error" with a hint to rerun with --debug. */
describe('user mistakes get one line naming the flag', () => {
  it('generate -o into a missing directory', (t) => {
    const file = join(tempDir(t), 'missing', 'x.csv');
    const result = runCli(['generate', '-o', file]);
    assert.equal(result.code, exitStatusOf('OUTPUT_UNWRITABLE'), result.stderr);
    assert.equal(result.stderr, `batch-infer: --output ${file}: no such directory\n`);
    assert.equal(existsSync(file), false);
  });
});

describe('temporary files a killed run left behind', () => {
  it('are removed when the same destination is next written, if their process is gone; nothing else is', (t) => {
    const dir = tempDir(t);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stale = `.out.csv.${dead}.k1.tmp`;
    const otherDestination = `.other.csv.${dead}.k2.tmp`;
    const alive = `.out.csv.${process.pid}.k3.tmp`;
    const notOurs = `.out.csv.tmp`;
    for (const name of [stale, otherDestination, alive, notOurs]) writeFileSync(join(dir, name), 'partial');
    const result = runCli(['generate', '--rows', '10', '-o', join(dir, 'out.csv')]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readdirSync(dir).sort(), [otherDestination, alive, notOurs, 'out.csv'].sort());
  });
});

describe('replay --out-dir that cannot be a directory', () => {
  for (const [what, outDir, message] of [
    ['a file', join(ROOT, 'README.md'), 'is not a directory'],
    ['a path through a file', join(ROOT, 'README.md', 'sub'), `${join(ROOT, 'README.md')} is not a directory`],
    ['under /proc (a recursive mkdir spun for ever there)', '/proc/batch-infer-test', 'cannot create /proc/batch-infer-test: ENOENT'],
  ] as const) {
    it(`${what}: one line naming --out-dir, exit 73, at once`, () => {
      const result = runCli(['replay', SNAPSHOT, '-m', join(MODELS, 'autoencoder.manifest.json'), '--out-dir', outDir]);
      assert.equal(result.code, 73);
      assert.equal(result.stderr, `batch-infer: --out-dir ${outDir}: ${message}\n`);
    });
  }
});
