import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CHUNK_SIZE } from '../../src/config/option-table.js';
import { balancedChunkRows } from '../../src/snapshot/balanced-chunks.js';

describe('balancedChunkRows', () => {
  it('gives every worker the same number of chunks, close to the target size', () => {
    for (const workers of [1, 2, 3, 4, 8]) {
      for (const rows of [40_000, 80_000, 100_000, 250_000, 1_000_000, 1_234_567]) {
        const chunk = balancedChunkRows(rows, workers, DEFAULT_CHUNK_SIZE);
        const chunks = Math.ceil(rows / chunk);
        const context = `${rows} rows, ${workers} workers: ${chunks} chunks of ${chunk}`;
        assert.equal(chunk % 16, 0, context);
        assert.equal(chunks % workers, 0, context);
        if (rows >= workers * DEFAULT_CHUNK_SIZE) assert.ok(chunk > DEFAULT_CHUNK_SIZE / 1.5 && chunk < DEFAULT_CHUNK_SIZE * 1.5, context);
        // The last chunk is never much shorter than the others: no worker waits on a short round.
        assert.ok(rows - (chunks - 1) * chunk > chunk - 16 * chunks, context);
      }
    }
  });

  it('keeps small snapshots in chunks worth a task', () => {
    assert.equal(balancedChunkRows(1500, 2, DEFAULT_CHUNK_SIZE), 1024);
    assert.equal(balancedChunkRows(3000, 2, DEFAULT_CHUNK_SIZE), 1504);
    assert.equal(balancedChunkRows(100_000, 2, DEFAULT_CHUNK_SIZE), 16_672);
  });
});
