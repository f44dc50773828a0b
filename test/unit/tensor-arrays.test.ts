import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { int32From, int64From } from '../../src/model/tensor-arrays.js';

const EDGES = [0, -0, 1, -1, 9, -10, 123456789, 2147483647, -2147483648, 2147483648, -2147483649, 4294967296, 2 ** 53 - 1, -(2 ** 53)];

describe('int64 through 32-bit words', () => {
  it('int64From gives what BigInt() per value gives, on both sides of the int32 range', () => {
    const values = Float64Array.from(EDGES);
    assert.deepEqual(int64From(values), BigInt64Array.from(values, (v) => BigInt(v)));
    let state = 7;
    const random = Float64Array.from({ length: 5000 }, () => {
      state = (state * 1103515245 + 12345) >>> 0;
      return Math.round((state / 2 ** 32 - 0.5) * 2 ** (state % 54));
    });
    assert.deepEqual(int64From(random), BigInt64Array.from(random, (v) => BigInt(v)));
  });

  it('int64From throws on a value that is not an integer, as BigInt() does', () => {
    assert.throws(() => int64From(Float64Array.of(1, 0.5)), RangeError);
    assert.throws(() => int64From(Float64Array.of(NaN)), RangeError);
  });

  it('int32From gives the int32 values, or undefined as soon as one does not fit', () => {
    const fits = BigInt64Array.from([0n, -1n, 1n, 2147483647n, -2147483648n, -10n]);
    assert.deepEqual(int32From(fits), Int32Array.of(0, -1, 1, 2147483647, -2147483648, -10));
    for (const outside of [2147483648n, -2147483649n, 4294967295n, 4294967296n, -4294967296n, 9007199254740991n]) {
      assert.equal(int32From(BigInt64Array.from([0n, outside, 1n])), undefined, String(outside));
    }
    // A view that does not start at its buffer's start.
    const backing = BigInt64Array.from([99999999999n, 5n, -6n]);
    assert.deepEqual(int32From(backing.subarray(1)), Int32Array.of(5, -6));
  });
});
