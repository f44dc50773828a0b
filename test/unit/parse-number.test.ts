import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNumberField } from '../../src/scoring/parse/parse-number.js';

describe('parseNumberField', () => {
  it('reads decimals with signs, fractions, exponents and surrounding blanks', () => {
    const cases: [string, number][] = [['0', 0], ['-1.5', -1.5], ['+2', 2], ['.5', 0.5], ['5.', 5], ['1e3', 1000], ['1.5E-2', 0.015], [' 7 ', 7], ['\t8', 8]];
    for (const [text, value] of cases) assert.equal(parseNumberField(text), value, text);
  });

  it('calls an empty or blank field missing', () => {
    for (const text of ['', ' ', '\t ']) assert.equal(parseNumberField(text), undefined, JSON.stringify(text));
  });

  it('refuses hex, words, separators and non-finite spellings', () => {
    for (const text of ['0x10', 'abc', '1,000', '1 2', 'NaN', 'Infinity', '-inf', '1e', 'e5', '--1', '.']) {
      assert.ok(Number.isNaN(parseNumberField(text)), text);
    }
  });
});
