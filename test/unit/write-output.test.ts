import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BatchInferError } from '../../src/errors.js';
import { openFileSink, removeRegularFile, writeAllSync } from '../../src/output/write-output.js';

/** A file that takes at most `limit` bytes per call, and records what it was given. */
function shortFile(limit: number) {
  const written: number[] = [];
  const writev = (_fd: number, parts: Uint8Array[]) => {
    let budget = limit;
    for (const part of parts) {
      const n = Math.min(budget, part.length);
      written.push(...part.subarray(0, n));
      budget -= n;
      if (n < part.length) break;
    }
    return limit - budget;
  };
  const write = (_fd: number, part: Uint8Array, offset?: number | null) => {
    const n = Math.min(limit, part.length - (offset ?? 0));
    written.push(...part.subarray(offset ?? 0, (offset ?? 0) + n));
    return n;
  };
  return { writev: writev as never, write: write as never, written };
}

describe('writeAllSync', () => {
  const parts = [Uint8Array.of(1, 2, 3), Uint8Array.of(), Uint8Array.of(4, 5, 6, 7, 8), Uint8Array.of(9)];
  const all = [1, 2, 3, 4, 5, 6, 7, 8, 9];

  it('writes every byte in order, however short each write is', () => {
    for (const limit of [1, 2, 4, 5, 9, 100]) {
      const file = shortFile(limit);
      writeAllSync(3, parts, file.writev, file.write);
      assert.deepEqual(file.written, all, `at most ${limit} bytes per call`);
    }
  });
});

describe('openFileSink', () => {
  it('writes a file under a temporary name and renames it into place on commit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bi-sink-'));
    try {
      const sink = openFileSink(join(dir, 'out.csv'), '--output');
      await sink.write('a,b\n');
      assert.deepEqual(readdirSync(dir).filter((name) => name === 'out.csv'), []);
      await sink.commit();
      assert.equal(readFileSync(join(dir, 'out.csv'), 'utf8'), 'a,b\n');
      assert.deepEqual(readdirSync(dir), ['out.csv']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes to a device as it is, never renaming a file over it', async () => {
    const sink = openFileSink('/dev/null', '--output');
    await sink.write('a,b\n');
    await sink.commit();
    assert.ok(statSync('/dev/null').isCharacterDevice());
  });

  it('writes into a named pipe that a reader holds open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bi-sink-'));
    let reader: ReturnType<typeof spawn> | undefined;
    try {
      const fifo = join(dir, 'pipe');
      execFileSync('mkfifo', [fifo]);
      // The reader is another process: opening a pipe to write waits for a reader, and blocks this thread.
      const cat = spawn('cat', [fifo]);
      reader = cat;
      const chunks: Buffer[] = [];
      cat.stdout.on('data', (c: Buffer) => chunks.push(c));
      const reading = new Promise((resolve) => cat.on('close', resolve));
      const sink = openFileSink(fifo, '--output');
      await sink.write('x,1\n');
      await sink.commit();
      assert.ok(statSync(fifo).isFIFO());
      await reading;
      assert.equal(Buffer.concat(chunks).toString(), 'x,1\n');
    } finally {
      reader?.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a directory in one line', () => {
    assert.throws(() => openFileSink(tmpdir(), '--output'), (error: unknown) => error instanceof BatchInferError && /--output .*: is a directory/.test(error.message));
  });
});

describe('removeRegularFile', () => {
  it("removes a link's target and keeps the link; never removes a device", (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bi-remove-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'old.csv'), 'x\n');
    symlinkSync('old.csv', join(dir, 'link.csv'));
    symlinkSync('/dev/null', join(dir, 'null-link'));
    removeRegularFile(join(dir, 'link.csv'));
    removeRegularFile(join(dir, 'null-link'));
    assert.deepEqual(readdirSync(dir).sort(), ['link.csv', 'null-link']);
    assert.ok(statSync('/dev/null').isCharacterDevice());
  });
});
