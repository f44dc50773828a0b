import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findRecordSpans } from '../../src/parse/record-spans.js';

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
