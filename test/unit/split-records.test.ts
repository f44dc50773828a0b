import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RawChunk } from '../../src/input/raw-chunk.js';
import { RecordSplitter } from '../../src/input/split-records.js';
import { findRecordSpans } from '../../src/scoring/parse/record-spans.js';
import { createRandom } from '../../src/synth/apm-snapshot.js';

const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

function split(input: string, chunkRows: number, pieceSize: number, hasHeader = true, format: 'csv' | 'ndjson' = 'csv', maxRecordBytes?: number) {
  const splitter = new RecordSplitter({ format, chunkRows, hasHeader, maxRecordBytes });
  const bytes = Buffer.from(input, 'utf8');
  const chunks: RawChunk[] = [];
  for (let at = 0; at < bytes.length; at += pieceSize) chunks.push(...splitter.push(bytes.subarray(at, at + pieceSize)));
  chunks.push(...splitter.end());
  return { header: text(splitter.header), headerLine: splitter.headerLine, chunks };
}

/** What the chunks hold, record by record: a row's line and text, or a rejected line's line, kind and text. */
function recordsOf(chunks: RawChunk[]): string[] {
  const records: string[] = [];
  for (const chunk of chunks) {
    if (chunk.rejected !== undefined) {
      records.push(`${chunk.rejected.line} ${chunk.rejected.kind}: ${chunk.rejected.text}`);
      continue;
    }
    const spans = findRecordSpans(chunk.bytes, 'csv', chunk.firstLine);
    for (let r = 0; r < spans.count; r++) records.push(`${spans.lines[r]}: ${text(chunk.bytes.subarray(spans.starts[r], spans.ends[r]))}`);
  }
  return records;
}

/**
 * The rule, written plainly: read a record from a line start (a newline inside quotes does not end it); if it is
 * longer than the limit, or the input ends inside its quotes, reject its first line and read on from the next.
 */
function expectedRecords(input: string, maxRecordBytes: number): string[] {
  const records: string[] = [];
  const lineOf = (at: number) => input.slice(0, at).split('\n').length;
  const content = (from: number, to: number) => input.slice(from, to).replace(/\n$/, '').replace(/\r$/, '');
  let pos = 0;
  let isHeader = true;
  while (pos < input.length) {
    let end = pos;
    let isInQuotes = false;
    while (end < input.length && (isInQuotes || input[end] !== '\n')) {
      if (input[end] === '"') isInQuotes = !isInQuotes;
      end++;
    }
    if (end < input.length) end++;
    const firstLineEnd = input.indexOf('\n', pos) === -1 ? input.length : input.indexOf('\n', pos) + 1;
    const isBlank = content(pos, end) === '';
    if (end - pos > maxRecordBytes || isInQuotes) {
      assert.ok(!isHeader, 'the header is never rejected');
      const kind = firstLineEnd - pos > maxRecordBytes ? 'too-long' : isInQuotes && end - pos <= maxRecordBytes ? 'unclosed-quote-at-end' : 'unclosed-quote';
      // A line too long keeps only what was read before giving up on it: compare what is always read.
      const line = kind === 'too-long' ? content(pos, firstLineEnd).slice(0, maxRecordBytes - 1) : content(pos, firstLineEnd);
      records.push(`${lineOf(pos)} ${kind}: ${line}`);
      pos = firstLineEnd;
      continue;
    }
    if (isHeader) isHeader = isBlank;
    else if (!isBlank) records.push(`${lineOf(pos)}: ${content(pos, end)}`);
    pos = end;
  }
  return records;
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

  it('rejects only the first line of a record with an unclosed quote that passes the limit, and reads on after it', () => {
    const rows = Array.from({ length: 50 }, (_, i) => `${i},n${i},1,2,3\n`).join('');
    const input = `id,name,a,b,c\n1,x,1,2,3\n2,"unclosed,1,2,3\n${rows}`;
    for (const pieceSize of [1, 7, 64, input.length]) {
      for (const chunkRows of [1, 3, 1000]) {
        const { chunks } = split(input, chunkRows, pieceSize, true, 'csv', 100);
        const records = recordsOf(chunks);
        assert.equal(records.length, 52, `piece size ${pieceSize}, ${chunkRows} rows a chunk`);
        assert.equal(records[1], '3 unclosed-quote: 2,"unclosed,1,2,3');
        assert.equal(records[2], '4: 0,n0,1,2,3');
        assert.equal(records[51], '53: 49,n49,1,2,3');
      }
    }
  });

  it('rejects only the first line of a quote still open at the end of the input', () => {
    const { chunks } = split('a,b\n1,2\n3,"open\n4,5\n6,7', 2, 3, true, 'csv', 1000);
    assert.deepEqual(recordsOf(chunks), ['2: 1,2', '3 unclosed-quote-at-end: 3,"open', '4: 4,5', '5: 6,7']);
    assert.deepEqual(recordsOf(split('a,b\n1,2\n3,"open', 2, 3).chunks), ['2: 1,2', '3 unclosed-quote-at-end: 3,"open']);
  });

  it('skips empty and CR-only lines before the header and counts them in the line numbers', () => {
    const { header, headerLine, chunks } = split('\n\r\n\nid,v\n1,2\n\n3,4\n', 10, 2);
    assert.equal(header, 'id,v');
    assert.equal(headerLine, 4);
    assert.deepEqual(recordsOf(chunks), ['5: 1,2', '7: 3,4']);
    assert.equal(split('\n\n', 10, 1).header, '');
  });

  it('agrees with the plain rule on seeded random input, whatever the read sizes, chunk sizes and limits', () => {
    const random = createRandom(4181);
    const alphabet = ['a', 'b', ',', ',', '"', '\n', '\n', '\r'];
    for (let n = 0; n < 400; n++) {
      const length = Math.floor(random() * 80);
      let body = '';
      for (let i = 0; i < length; i++) body += alphabet[Math.floor(random() * alphabet.length)];
      const input = `h,k\n${body}`;
      const maxRecordBytes = 4 + Math.floor(random() * 30);
      const expected = expectedRecords(input, maxRecordBytes);
      for (const pieceSize of [1, 1 + Math.floor(random() * 16), input.length + 1]) {
        const chunkRows = 1 + Math.floor(random() * 4);
        const { chunks } = split(input, chunkRows, pieceSize, true, 'csv', maxRecordBytes);
        const records = recordsOf(chunks).map((r) => (/^\d+ too-long: /.test(r) ? r.slice(0, r.indexOf(':') + 2 + maxRecordBytes - 1) : r));
        assert.deepEqual(records, expected, `${JSON.stringify(input)}, limit ${maxRecordBytes}, pieces of ${pieceSize}, ${chunkRows} rows a chunk`);
      }
    }
  });
});

describe('RecordSplitter.cutCompleteRecords (input that pauses)', () => {
  it('hands out the complete records read so far, keeps the one still arriving, and counts lines across the cut', () => {
    const splitter = new RecordSplitter({ format: 'csv', chunkRows: 1000, hasHeader: true });
    const chunks: RawChunk[] = [];
    chunks.push(...splitter.push(Buffer.from('a,b\n1,"x\ny"\n2,z\n3,')));
    assert.equal(chunks.length, 0);
    chunks.push(...splitter.cutCompleteRecords());
    assert.equal(chunks.length, 1);
    assert.equal(text(chunks[0]!.bytes), '1,"x\ny"\n2,z\n');
    assert.equal(chunks[0]!.records, 2);
    assert.deepEqual(splitter.cutCompleteRecords(), [], 'nothing complete is left to cut');
    chunks.push(...splitter.push(Buffer.from('w\n4,v\n')), ...splitter.end());
    assert.deepEqual(recordsOf(chunks), ['2: 1,"x\ny"', '4: 2,z', '5: 3,w', '6: 4,v']);
    assert.deepEqual(chunks.map((c) => c.index), [0, 1]);
  });

  it('cuts nothing before the header is complete', () => {
    const splitter = new RecordSplitter({ format: 'csv', chunkRows: 10, hasHeader: true });
    splitter.push(Buffer.from('a,b'));
    assert.deepEqual(splitter.cutCompleteRecords(), []);
  });
});
