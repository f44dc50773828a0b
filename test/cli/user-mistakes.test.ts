import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

/** Mistakes that used to end as "internal error" with a hint to rerun with --debug. */
describe('user mistakes get one line naming the flag', () => {
  it('generate -o into a missing directory', (t) => {
    const file = join(tempDir(t), 'missing', 'x.csv');
    const result = runCli(['generate', '-o', file]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, `batch-infer: --output ${file}: no such directory\n`);
    assert.equal(existsSync(file), false);
  });
});
