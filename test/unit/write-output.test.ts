import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { writeAllSync } from '../../src/output/write-output.js';

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
