import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CHUNK_SIZE } from '../../src/config/option-table.js';
import type { RawChunk } from '../../src/input/raw-chunk.js';
import { balancedChunkRows, estimateRows } from '../../src/snapshot/balanced-chunks.js';
import { readAhead } from '../../src/snapshot/read-ahead.js';
import { generateApmSnapshotCsv } from '../../src/synth/apm-snapshot.js';

const snapshot = Buffer.from([...generateApmSnapshotCsv({ rows: 100_000 })].join(''));

/** The snapshot as a request body arrives: pieces of 64 KiB. */
function pieces(bytes: Buffer, size = 1 << 16): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

async function chunksOf(source: Buffer[], sizeBytes: number | undefined, format: 'csv' | 'ndjson' = 'csv'): Promise<RawChunk[]> {
  const input = { path: 'request body', format, source, ...(sizeBytes === undefined ? {} : { sizeBytes }) };
  const reader = await readAhead({ input, output: undefined, rejects: undefined, chunkSize: DEFAULT_CHUNK_SIZE, balanceFor: 2, maxRecordBytes: 1 << 20 }, undefined);
  const chunks: RawChunk[] = [];
  for await (const chunk of reader.chunks({ isStopped: () => false })) chunks.push(chunk);
  return chunks;
}

describe('read-ahead chunk balancing', () => {
  it('estimates the rows from the first MiB, not the first piece', () => {
    const first = pieces(snapshot)[0]!;
    const fromPiece = estimateRows([first], snapshot.length)!;
    const fromMiB = estimateRows(pieces(snapshot), snapshot.length)!;
    // The generated snapshot's first 64 KiB hold shorter lines than the rest: an estimate short enough to add a chunk.
    assert.ok(Math.abs(fromMiB - 100_001) < Math.abs(fromPiece - 100_001), `from a piece ${fromPiece}, from 1 MiB ${fromMiB}`);
    assert.ok(Math.ceil(100_000 / balancedChunkRows(fromPiece, 2, DEFAULT_CHUNK_SIZE)) > 6);
    assert.equal(Math.ceil(100_000 / balancedChunkRows(fromMiB, 2, DEFAULT_CHUNK_SIZE)), 6);
  });

  it('cuts a body of 64 KiB pieces with a known size into as many chunks as the same bytes read whole', async () => {
    const streamed = await chunksOf(pieces(snapshot), snapshot.length);
    const whole = await chunksOf([snapshot], snapshot.length);
    const rows = (chunks: RawChunk[]) => chunks.map((c) => c.records);
    assert.deepEqual(rows(streamed), rows(whole));
    assert.equal(streamed.length, 6);
    assert.equal(rows(streamed).reduce((a, b) => a + b, 0), 100_000);
    // Without a size nothing is balanced: chunks of the target size.
    const unbalanced = await chunksOf(pieces(snapshot), undefined);
    assert.equal(unbalanced[0]!.records, DEFAULT_CHUNK_SIZE);
  });

  it('loses no record of an NDJSON body while it holds the first MiB (NDJSON has no header to wait for)', async () => {
    const lines = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `{"x":${i}}\n`).join(''));
    const chunks = await chunksOf(pieces(lines), lines.length, 'ndjson');
    assert.equal(chunks.reduce((sum, c) => sum + c.records, 0), 200_000);
    assert.equal(chunks.length % 2, 0);
  });
});
