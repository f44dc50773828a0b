import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findRecordSpans, type RecordSpans } from '../../src/scoring/parse/record-spans.js';
import { findRecords } from '../../src/scoring/parse/wasm-scan.js';
import { createRandom } from '../../src/synth/apm-snapshot.js';

function spans(input: string, format: 'csv' | 'ndjson' = 'csv', firstLine = 10) {
  const bytes = Buffer.from(input);
  const found = findRecordSpans(bytes, format, firstLine);
  return Array.from({ length: found.count }, (_, r) => ({
    line: found.lines[r],
    text: bytes.subarray(found.starts[r], found.ends[r]).toString(),
  }));
}

describe('findRecordSpans', () => {
  it('gives each record its start line, skipping blank lines and dropping line ends', () => {
    assert.deepEqual(spans('1,a\r\n\n2,"b\nc"\r\n3,d'), [
      { line: 10, text: '1,a' },
      { line: 12, text: '2,"b\nc"' },
      { line: 14, text: '3,d' },
    ]);
  });

  it('keeps an unclosed quote to the end of the chunk as one record', () => {
    assert.deepEqual(spans('1,"open\n2,x\n'), [{ line: 10, text: '1,"open\n2,x\n' }]);
  });

  it('treats quotes in NDJSON as ordinary bytes', () => {
    assert.deepEqual(spans('{"a":"\\""}\n{"b":2}\n', 'ndjson', 1), [
      { line: 1, text: '{"a":"\\""}' },
      { line: 2, text: '{"b":2}' },
    ]);
  });
});

describe('findRecords (WebAssembly) against findRecordSpans', () => {
  const same = (text: string, firstLine: number): void => {
    const bytes = Buffer.from(text, 'utf8');
    const list = (found: RecordSpans) => Array.from({ length: found.count }, (_, r) => [found.starts[r], found.ends[r], found.lines[r]]);
    assert.deepEqual(list(findRecords(bytes, firstLine)), list(findRecordSpans(bytes, 'csv', firstLine)), JSON.stringify(text));
  };

  it('finds the same records in the tricky cases', () => {
    for (const text of ['', '\n', '\r\n', 'a', 'a\r', '1,a\r\n\n2,"b\nc"\r\n3,d', '1,"open\n2,x\n', '"a""b",1\n"",2\r\n', '""""\n\n\n', 'x,"\r\n"\r\ny\n']) {
      same(text, 7);
    }
  });

  it('finds the same records in seeded random chunks, long runs included', () => {
    const random = createRandom(11);
    const pieces = ['a', 'bc', ',', '"', '""', '\n', '\r', '\r\n', ' ', 'é', '0123456789abcdefghij', ',,,,,,,,,,'];
    for (let chunk = 0; chunk < 400; chunk++) {
      let text = '';
      // Some chunks of a few kilobytes, so that whole 64-byte blocks are read at once, with and without quotes.
      const length = Math.floor(random() * (chunk % 4 === 0 ? 600 : 60));
      for (let i = 0; i < length; i++) text += pieces[Math.floor(random() * pieces.length)];
      same(text, 1 + Math.floor(random() * 1000));
    }
  });
});
