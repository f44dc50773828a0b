import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvWasm } from '../../src/scoring/csv-wasm.js';
import { parseCsvChunkFast } from '../../src/scoring/parse/fast-csv.js';
import { releaseScratch, takeScratch } from '../../src/scoring/parse/scratch.js';
import { makeRoomForChunks, MAX_WARM_UP_PASSES, takeWarmUpSample, warmUp, WARM_UP_ROWS, warmUpRows } from '../../src/scoring/warm-up.js';
import { csvPlan } from '../helpers/plans.js';

/** A pass whose durations are scripted, on a clock that only the passes move. */
function scripted(durations: number[]) {
  let clock = 0;
  let passes = 0;
  const pass = async () => {
    clock += durations[passes] ?? durations[durations.length - 1]!;
    passes++;
  };
  return { pass, now: () => clock, passes: () => passes };
}

describe('warmUp', () => {
  it('repeats while each pass is clearly faster, and stops at the first that is not', async () => {
    const run = scripted([40, 20, 12, 11.5, 3]);
    const ms = await warmUp(run.pass, run.now);
    assert.equal(run.passes(), 4);
    assert.equal(ms, 40 + 20 + 12 + 11.5);
  });

  it('takes at least two passes, and at most the limit however long it keeps improving', async () => {
    const flat = scripted([5]);
    await warmUp(flat.pass, flat.now);
    assert.equal(flat.passes(), 2);
    const improving = scripted([64, 32, 16, 8, 4, 2, 1, 0.5]);
    await warmUp(improving.pass, improving.now);
    assert.equal(improving.passes(), MAX_WARM_UP_PASSES);
  });
});

describe('takeWarmUpSample', () => {
  it('takes whole records from the start of a chunk, quoted newlines included', () => {
    const chunk = Buffer.from('1,"a\nb"\n2,c\n3,d\n', 'utf8');
    assert.equal(Buffer.from(takeWarmUpSample(chunk, 'csv', 2)).toString('utf8'), '1,"a\nb"\n2,c\n');
    assert.equal(Buffer.from(takeWarmUpSample(chunk, 'csv', 10)).toString('utf8'), chunk.toString('utf8'));
  });
});

describe('warmUpRows', () => {
  it("adds the rows of a chunk's last, shorter inference call", () => {
    assert.equal(warmUpRows(16_672, 1024), WARM_UP_ROWS + 288);
    assert.equal(warmUpRows(16_384, 1024), WARM_UP_ROWS);
    assert.equal(warmUpRows(5000, 512), WARM_UP_ROWS + 392);
    // A chunk no longer than the sample is the sample.
    assert.equal(warmUpRows(700, 1024), WARM_UP_ROWS);
  });
});

describe('makeRoomForChunks', () => {
  const rows = (from: number, count: number) => Array.from({ length: count }, (_, i) => `r${from + i},${(from + i) * 0.5},${i % 7}\n`).join('');
  const plan = csvPlan(['id', 'a', 'b'], ['a', 'b']);

  it('grows the parse memory once, after the sample, so that a chunk of the size announced needs no more', () => {
    const sample = Buffer.from(rows(0, 1000));
    // Large enough that the module's own memory (the formatter's text caches among it) cannot already hold it.
    const chunk = Buffer.from(rows(1000, 300_000));
    parseCsvChunkFast(sample, 2, plan);
    const memory = csvWasm().memory;
    const afterSample = memory.buffer.byteLength;
    assert.ok(afterSample < chunk.length, 'the sample alone does not need room for the chunk');
    makeRoomForChunks(sample.length, chunk.length);
    const reserved = memory.buffer.byteLength;
    assert.ok(reserved > afterSample, `reserved ${reserved} bytes, after the sample ${afterSample}`);
    const parsed = parseCsvChunkFast(chunk, 1002, plan);
    assert.equal(parsed.rows, 300_000);
    assert.equal(memory.buffer.byteLength, reserved, 'the chunk grew the memory again');
  });

  it("grows a thread's idle scratch memory by the same scale", () => {
    const scratch = takeScratch();
    const before = scratch.buffer('test-purpose', 1000);
    releaseScratch(scratch);
    makeRoomForChunks(100, 1000);
    const again = takeScratch();
    try {
      assert.equal(again, scratch);
      const grown = again.buffer('test-purpose', 9000);
      assert.notEqual(grown, before);
      // The reservation's size (ten times the sample, and an eighth to spare), not a buffer made on demand.
      assert.equal(grown.byteLength, Math.ceil(before.byteLength * 10 * 1.125));
      // What the reservation made is what the chunk gets: asking again does not allocate.
      assert.equal(again.buffer('test-purpose', 9000), grown);
    } finally {
      releaseScratch(again);
    }
  });
});
