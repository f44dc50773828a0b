import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';

const AE_MANIFEST = join(MODELS, 'autoencoder.manifest.json');
const snapshotText = readFileSync(SNAPSHOT, 'utf8');

describe('batch-infer run: where outputs land', () => {
  it('refuses an output that is the input reached through a link, and leaves the input alone', (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'd.csv');
    copyFileSync(SNAPSHOT, input);
    symlinkSync('d.csv', join(dir, 'dlink.csv'));
    const result = runCli(['run', join(dir, 'dlink.csv'), '-m', AE_MANIFEST, '-o', input, '-q']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^batch-infer: --output .*d\.csv: is the same file as the input .*dlink\.csv; refusing to overwrite it\n$/);
    assert.equal(readFileSync(input, 'utf8'), snapshotText);
  });
});
