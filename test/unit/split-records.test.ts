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

  it('cuts NDJSON at every newline, quotes or not', () => {
    const { chunks } = split('{"a":"\\""}\n{"a":"x"}\n{"a":1}\n', 2, 5, false, 'ndjson');
    assert.deepEqual(chunks.map((c) => text(c.bytes)), ['{"a":"\\""}\n{"a":"x"}\n', '{"a":1}\n']);
  });
});
