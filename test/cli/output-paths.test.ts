import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { BIN, MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';

const AE_MANIFEST = join(MODELS, 'autoencoder.manifest.json');
const snapshotText = readFileSync(SNAPSHOT, 'utf8');
/** The predictions for the fixture, as written to stdout. */
let expected: string | undefined;
function predictions(): string {
  expected ??= runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-q']).stdout;
  return expected;
}

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

  it('writes through a link to a regular file: the target is replaced, the link stays', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'target.csv'), 'old\n');
    symlinkSync('target.csv', join(dir, 'link.csv'));
    const result = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-o', join(dir, 'link.csv'), '-q']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(lstatSync(join(dir, 'link.csv')).isSymbolicLink());
    assert.equal(readlinkSync(join(dir, 'link.csv')), 'target.csv');
    assert.equal(readFileSync(join(dir, 'target.csv'), 'utf8'), predictions());
    assert.deepEqual(readdirSync(dir).sort(), ['link.csv', 'target.csv']);
  });

  it("creates a dangling link's target, beside it in the target's directory", (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'sub'));
    symlinkSync(join('sub', 'new.csv'), join(dir, 'dangling.csv'));
    const result = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-o', join(dir, 'dangling.csv'), '-q']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(lstatSync(join(dir, 'dangling.csv')).isSymbolicLink());
    assert.equal(readFileSync(join(dir, 'sub', 'new.csv'), 'utf8'), predictions());
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['new.csv']);
  });

  it('-o /proc/self/fd/1 (or a link to it) writes to stdout when stdout is a socket or a pipe', (t) => {
    const dir = tempDir(t);
    symlinkSync('/proc/self/fd/1', join(dir, 'my-stdout'));
    for (const target of ['/proc/self/fd/1', join(dir, 'my-stdout')]) {
      // spawnSync gives the child a socket as stdout.
      const socket = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-o', target, '-q']);
      assert.equal(socket.code, 0, socket.stderr);
      assert.equal(socket.stdout, predictions(), target);
      // A shell pipe is a FIFO.
      const piped = execFileSync('sh', ['-c', `"${process.execPath}" "${BIN}" run "${SNAPSHOT}" -m "${AE_MANIFEST}" -q -o "${target}" | cat`], { encoding: 'utf8', maxBuffer: 64 << 20 });
      assert.equal(piped, predictions(), target);
    }
    assert.ok(lstatSync(join(dir, 'my-stdout')).isSymbolicLink());
  });

  it('-o /proc/self/fd/1 writes through to the file when stdout is a regular file', (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'out.txt');
    const fd = openSync(file, 'w');
    let result;
    try {
      result = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-o', '/proc/self/fd/1', '-q'], { stdout: fd });
    } finally {
      closeSync(fd);
    }
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(file, 'utf8'), predictions());
    assert.deepEqual(readdirSync(dir), ['out.txt']);
  });
});
