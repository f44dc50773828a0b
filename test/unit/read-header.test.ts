import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { decodeHeader } from '../../src/input/read-header.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('decodeHeader', () => {
  it('reads every header as csv-parse does, with or without quotes', () => {
    const headers = [
      'minute,target_id,transaction,tps',
      ' spaced , names ,kept',
      'ünïcödé,名前,emoji 🚀',
      'tab\tinside,semi;colon',
      'a',
      '"quoted",plain,"with ""quotes""","comma, inside"',
      '"line\nbreak",x',
    ];
    for (const header of headers) {
      const expected = (parse(header, { relax_column_count: true }) as string[][])[0];
      assert.deepEqual(decodeHeader(bytes(header), 'h.csv'), expected, header);
    }
  });

  it('names the file, line and column of a header it cannot use', () => {
    assert.throws(() => decodeHeader(bytes('a,,c'), 'h.csv'), /h\.csv: line 1: column 2 of the header has no name/);
    assert.throws(() => decodeHeader(bytes('a,b,'), 'h.csv'), /h\.csv: line 1: column 3 of the header has no name/);
    assert.throws(() => decodeHeader(bytes('"open,b'), 'h.csv'), /h\.csv: line 1: the header is not a CSV record/);
    assert.throws(() => decodeHeader(new Uint8Array(0), 'h.csv'), /h\.csv: empty input, no header line/);
    assert.throws(() => decodeHeader(bytes('a,b\r1,2\r3,4'), 'h.csv', 3), /h\.csv: line 3, column 2: bare CR line ends are not supported \(LF or CRLF\)/);
    assert.deepEqual(decodeHeader(bytes('"a\r\nb",c'), 'h.csv'), ['a\r\nb', 'c']);
  });
});
