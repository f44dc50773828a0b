import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordSplitter, type RawChunk } from '../../src/input/split-records.js';

const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

function split(input: string, chunkRows: number, pieceSize: number, hasHeader = true, format: 'csv' | 'ndjson' = 'csv') {
  const splitter = new RecordSplitter({ format, chunkRows, hasHeader });
  const bytes = Buffer.from(input, 'utf8');
  const chunks: RawChunk[] = [];
  for (let at = 0; at < bytes.length; at += pieceSize) chunks.push(...splitter.push(bytes.subarray(at, at + pieceSize)));
  chunks.push(...splitter.end());
  return { header: text(splitter.header), chunks };
}

describe('RecordSplitter', () => {
  const csv = 'a,b\n1,"x\ny"\n2,"q""\n"\n3,z\n4,w\n5,v';

  it('cuts only at record ends, never inside a quoted newline, whatever the read sizes', () => {
    const whole = split(csv, 2, csv.length);
    for (const pieceSize of [1, 2, 3, 5, 7, 64]) {
      const pieces = split(csv, 2, pieceSize);
      assert.equal(pieces.header, 'a,b');
      assert.deepEqual(pieces.chunks.map((c) => text(c.bytes)), whole.chunks.map((c) => text(c.bytes)), `piece size ${pieceSize}`);
    }
    assert.deepEqual(whole.chunks.map((c) => text(c.bytes)), ['1,"x\ny"\n2,"q""\n"\n', '3,z\n4,w\n', '5,v']);
  });

  it('numbers chunks in order and gives the physical line each starts on', () => {
    const { chunks } = split(csv, 2, 4);
    assert.deepEqual(chunks.map((c) => c.index), [0, 1, 2]);
    assert.deepEqual(chunks.map((c) => c.firstLine), [2, 6, 8]);
    assert.deepEqual(chunks.map((c) => c.records), [2, 2, 1]);
  });

  it('strips a UTF-8 byte order mark and keeps CRLF records whole', () => {
    const { header, chunks } = split('\uFEFFid,v\r\n1,2\r\n3,4\r\n', 10, 3);
    assert.equal(header, 'id,v');
    assert.deepEqual(chunks.map((c) => text(c.bytes)), ['1,2\r\n3,4\r\n']);
  });

  it('gives a header and no chunk for a header-only input, and nothing for an empty one', () => {
    assert.deepEqual(split('a,b\n', 5, 2).chunks, []);
    assert.equal(split('a,b', 5, 2).header, 'a,b');
    const empty = split('', 5, 2);
    assert.equal(empty.header, '');
    assert.deepEqual(empty.chunks, []);
  });

  it('reuses the memory of released chunks only, never bytes a chunk still holds', () => {
    // About 17 MB: past the 4 MiB blocks several times over, so that released blocks are reused.
    const records = Array.from({ length: 400_000 }, (_, i) => `${i},"transaction name ${i % 97}",${(i * 7919) % 100_003}\n`);
    const input = Buffer.from(`id,name,v\n${records.join('')}`, 'utf8');
    const splitter = new RecordSplitter({ format: 'csv', chunkRows: 1000, hasHeader: true });
    const held: { chunk: RawChunk; expected: string }[] = [];
    let next = 0;
    let rows = 0;
    const take = (chunks: RawChunk[]) => {
      for (const chunk of chunks) {
        const expected = records.slice(next, next + chunk.records).join('');
        next += chunk.records;
        rows += chunk.records;
        assert.equal(text(chunk.bytes), expected, `chunk ${chunk.index} as cut`);
        // Every third chunk is held to the end; the others are released at once.
        if (chunk.index % 3 === 0) held.push({ chunk, expected });
        else chunk.release?.();
      }
    };
    for (let at = 0; at < input.length; at += 65_536) take(splitter.push(input.subarray(at, at + 65_536)));
    take(splitter.end());
    assert.equal(rows, records.length);
    assert.ok(held.length > 60);
    for (const { chunk, expected } of held) assert.equal(text(chunk.bytes), expected, `chunk ${chunk.index} still intact`);
  });

  it('cuts NDJSON at every newline, quotes or not', () => {
    const { chunks } = split('{"a":"\\""}\n{"a":"x"}\n{"a":1}\n', 2, 5, false, 'ndjson');
    assert.deepEqual(chunks.map((c) => text(c.bytes)), ['{"a":"\\""}\n{"a":"x"}\n', '{"a":1}\n']);
  });
});
