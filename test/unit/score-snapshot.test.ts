import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { snapshotOptions } from '../../src/config/snapshot-defaults.js';
import { BatchInferError } from '../../src/errors.js';
import { scoreSnapshot, type SnapshotOptions } from '../../src/snapshot/score-snapshot.js';
import { FakePool, fakeHandle, snapshotRows, type FakeBehaviour } from '../helpers/fake-pool.js';
import { MemorySink } from '../helpers/memory-sink.js';

const ROWS = 60;
const CHUNK_ROWS = 5;
const { header, body } = snapshotRows(ROWS);
const INPUT = Buffer.from(`${header}\n${body.join('\n')}\n`);

function options(output: MemorySink, rejects: MemorySink, extra: Partial<SnapshotOptions> = {}): SnapshotOptions {
  const input = { path: 'fake.csv', format: 'csv' as const, source: [INPUT] };
  return snapshotOptions(2, { input, output, rejects, chunkSize: CHUNK_ROWS, maxInFlight: 4, retries: 2, warmUp: false, ...extra });
}

/** Scores the input through a fake pool; returns the timing, the pool and what reached each sink. */
async function scoreWithFake(behaviour: FakeBehaviour, extra: Partial<SnapshotOptions> = {}) {
  const pool = new FakePool(behaviour);
  const output = new MemorySink();
  const rejects = new MemorySink();
  const timing = await scoreSnapshot(fakeHandle(pool), options(output, rejects, extra));
  const outputRows = output.text().split('\n').slice(1).filter((line) => line !== '');
  const rejectRows = rejects.text().split('\n').slice(1).filter((line) => line !== '');
  return { timing, pool, output, rejects, outputRows, rejectRows };
}

/** Every input row is one output row or one reject, and the timing says so too. */
function assertNothingLost(result: Awaited<ReturnType<typeof scoreWithFake>>): void {
  assert.equal(result.timing.rows, ROWS);
  assert.equal(result.timing.rowsOut + result.timing.rowsRejected, ROWS);
  assert.equal(result.outputRows.length, result.timing.rowsOut);
  assert.equal(result.rejectRows.length, result.timing.rowsRejected);
}

describe('scoreSnapshot with a fake pool', () => {
  it('writes every row in input order when chunks complete out of order', async () => {
    // Later chunks finish first: chunk 0 takes longest.
    const result = await scoreWithFake({ delayMs: (index) => Math.max(0, 12 - index) * 2 });
    assert.deepEqual(result.outputRows, body);
    assert.ok(result.output.isCommitted);
    assert.equal(result.timing.chunks, ROWS / CHUNK_ROWS);
    assertNothingLost(result);
  });

  it('keeps at most maxInFlight chunks handed out but not yet written', async () => {
    const maxInFlight = 3;
    const pool = new FakePool({ delayMs: (index) => (index % 3 === 0 ? 15 : 1) });
    const output = new MemorySink();
    // Chunk outputs are written one write each, after the header: handed out minus written is the window.
    let isOverWindow = false;
    let widest = 0;
    const score = pool.score.bind(pool);
    pool.score = (task, timeoutMs, onDispatched) => {
      const handedOut = new Set(pool.calls.map((c) => c.index)).size + (pool.calls.some((c) => c.index === task.index) ? 0 : 1);
      const window = handedOut - (output.parts.length - 1);
      widest = Math.max(widest, window);
      isOverWindow ||= window > maxInFlight;
      return score(task, timeoutMs, onDispatched);
    };
    await scoreSnapshot(fakeHandle(pool), options(output, new MemorySink(), { maxInFlight }));
    assert.equal(isOverWindow, false, `widest ${widest}`);
    assert.equal(widest, maxInFlight, 'the window was never filled: the test would not see it overflow');
  });

  it('retries a failed chunk on a fresh try and counts the retries', async () => {
    const result = await scoreWithFake({ failures: (index) => (index === 3 ? 2 : 0) }, { retries: 2 });
    assert.equal(result.timing.retries, 2);
    assert.equal(result.timing.chunksFailed, 0);
    assert.deepEqual(result.outputRows, body);
    assert.deepEqual(result.pool.calls.filter((c) => c.index === 3).map((c) => c.attempt), [0, 1, 2]);
    assertNothingLost(result);
  });

  it('rejects a chunk that fails on every try, with the reason, and scores the rest', async () => {
    const result = await scoreWithFake({ failures: (index) => (index === 2 ? 99 : 0) }, { retries: 1 });
    assert.equal(result.timing.chunksFailed, 1);
    assert.equal(result.timing.rowsRejected, CHUNK_ROWS);
    assert.equal(result.pool.calls.filter((c) => c.index === 2).length, 2);
    assert.ok(result.rejectRows.every((row) => row.includes('worker failed on 2 tries: fake failure 2 of chunk 2')), result.rejectRows[0]);
    // The rejected rows are the third chunk's, lines 12 to 16 of the file (the header is line 1).
    assert.deepEqual(result.rejectRows.map((row) => Number(row.split(',')[0])), [12, 13, 14, 15, 16]);
    assertNothingLost(result);
  });

  it("rejects the chunks not yet scored with reason 'deadline' when an 'abort' deadline passes", async () => {
    const result = await scoreWithFake({ delayMs: () => 10 }, { maxInFlight: 2, deadline: { at: performance.now() + 25, mode: 'abort' } });
    assert.equal(result.timing.deadlineExceeded, true);
    assert.equal(result.timing.deadlineMode, 'abort');
    assert.ok(result.timing.rowsOut > 0 && result.timing.rowsRejected > 0, `${result.timing.rowsOut} out, ${result.timing.rowsRejected} rejected`);
    assert.ok(result.rejectRows.every((row) => row.split(',')[1] === 'deadline'), result.rejectRows[0]);
    // No chunk is scored once the deadline passed: far fewer calls than chunks.
    assert.ok(result.pool.calls.length < ROWS / CHUNK_ROWS);
    assertNothingLost(result);
  });

  it("scores everything and reports the overrun when a 'finish' deadline passes", async () => {
    const result = await scoreWithFake({ delayMs: () => 5 }, { maxInFlight: 2, deadline: { at: performance.now() + 10, mode: 'finish' } });
    assert.equal(result.timing.deadlineExceeded, true);
    assert.equal(result.timing.rowsRejected, 0);
    assert.ok((result.timing.overrunMs ?? 0) > 0);
    assertNothingLost(result);
  });

  it('stops on an interrupt: lets chunks on a worker finish, writes nothing, and says which signal', async () => {
    const controller = new AbortController();
    const pool = new FakePool({ delayMs: () => 5 });
    const output = new MemorySink();
    const rejects = new MemorySink();
    const score = pool.score.bind(pool);
    pool.score = (task, timeoutMs, onDispatched) => {
      if (task.index === 4) controller.abort('SIGTERM');
      return score(task, timeoutMs, onDispatched);
    };
    await assert.rejects(scoreSnapshot(fakeHandle(pool), options(output, rejects, { signal: controller.signal })), (error: unknown) => {
      assert.ok(error instanceof BatchInferError);
      assert.equal(error.code, 'INTERRUPTED');
      assert.equal(error.exitCode, 143);
      return true;
    });
    assert.equal(pool.active, 0, 'a chunk was still on a worker when the snapshot gave up');
    assert.ok(pool.calls.length <= 5, `${pool.calls.length} chunks handed out after the interrupt`);
    assert.ok(output.isAborted && !output.isCommitted);
    assert.ok(rejects.isAborted && !rejects.isCommitted);
  });

  it('lets the chunks on a worker finish before a fatal pool error is thrown', async () => {
    const pool = new FakePool({ delayMs: (index) => (index === 5 ? 1 : 20) });
    const output = new MemorySink();
    const score = pool.score.bind(pool);
    pool.score = async (task, timeoutMs, onDispatched) => {
      if (task.index === 5) throw new BatchInferError('MODEL_LOAD', 'the fake pool can no longer score');
      return score(task, timeoutMs, onDispatched);
    };
    await assert.rejects(scoreSnapshot(fakeHandle(pool), options(output, new MemorySink(), { maxInFlight: 8 })), /can no longer score/);
    assert.equal(pool.active, 0, 'a chunk was still on a worker when the snapshot gave up');
    assert.ok(output.isAborted && !output.isCommitted);
  });

  it('warms the workers up once, before the first chunk', async () => {
    const result = await scoreWithFake({}, { warmUp: true });
    assert.equal(result.pool.warmUps, 1);
    assertNothingLost(result);
  });
});
