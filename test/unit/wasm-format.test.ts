import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteWriter } from '../../src/scoring/format/byte-writer.js';
import { formatCsvRows } from '../../src/scoring/format/wasm-format.js';
import { createRandom } from '../../src/synth/apm-snapshot.js';

/** The JavaScript writer's bytes for the same rows: pass-through bytes, then float32s and flags. */
function referenceRows(passthrough: Uint8Array, ends: Int32Array, hasPassthrough: boolean, rows: number, scores: Float32Array, width: number, flags: Uint8Array): string {
  const out = new ByteWriter(64);
  let from = 0;
  for (let r = 0; r < rows; r++) {
    out.copy(passthrough, from, ends[r]!);
    from = ends[r]!;
    for (let c = 0; c < width; c++) {
      if (c > 0 || hasPassthrough) out.byte(0x2c);
      out.float32(scores[r * width + c]!);
    }
    out.byte(0x2c);
    out.byte(flags[r] === 1 ? 0x31 : 0x30);
    out.byte(0x0a);
  }
  return Buffer.from(out.view()).toString('latin1');
}

describe('formatCsvRows (WebAssembly)', () => {
  it('writes the same bytes as the JavaScript writer for every kind of float32', () => {
    const random = createRandom(2027);
    const rows = 50_000;
    const width = 2;
    const scores = new Float32Array(rows * width);
    const bits = new Uint32Array(scores.buffer);
    for (let i = 0; i < scores.length; i++) {
      // Random bit patterns (every exponent, subnormals, NaN and infinities), plain magnitudes, round values.
      if (i % 3 === 0) bits[i] = Math.floor(random() * 2 ** 32);
      else if (i % 3 === 1) scores[i] = (random() - 0.5) * 10 ** Math.floor(random() * 24 - 12);
      else scores[i] = Math.round((random() - 0.5) * 1e6) / 10 ** Math.floor(random() * 8);
    }
    scores.set([0, -0, 1, -2.5, 100, 123456789, 0.1, 1e-7, 3e12, 1e-45, 3.4028235e38, Number.NaN, Infinity, -Infinity, 9.9999999e-7, 1e9]);
    const flags = Uint8Array.from({ length: rows }, () => (random() < 0.5 ? 1 : 0));
    const texts = Array.from({ length: rows }, (_, r) => (r % 7 === 0 ? '' : `t${r},"a ""q"", b"`));
    const passthrough = Buffer.from(texts.join(''));
    let end = 0;
    const ends = Int32Array.from(texts, (text) => (end += Buffer.byteLength(text)));
    for (const hasPassthrough of [true, false]) {
      const columns = [...Array.from({ length: width }, (_, c) => ({ values: scores, width, offset: c })), { values: flags, width: 1, offset: 0 }];
      const wasm = Buffer.from(formatCsvRows(hasPassthrough ? passthrough : new Uint8Array(0), hasPassthrough ? ends : new Int32Array(rows), hasPassthrough, rows, columns)).toString('latin1');
      const expected = referenceRows(hasPassthrough ? passthrough : new Uint8Array(0), hasPassthrough ? ends : new Int32Array(rows), hasPassthrough, rows, scores, width, flags);
      assert.equal(wasm.length, expected.length);
      const lines = wasm.split('\n');
      const expectedLines = expected.split('\n');
      for (let r = 0; r < lines.length; r++) assert.equal(lines[r], expectedLines[r], `row ${r}: ${scores[r * width]}, ${scores[r * width + 1]}`);
    }
  });

  it('writes the same bytes from its cache of repeated values, across calls, colliding slots and nine columns', () => {
    const random = createRandom(11);
    // Bit patterns that land in the same cache slot (the hash's top 12 bits), alternating so each evicts the other.
    const slot = (b: number): number => Math.imul(b, 0x9e3779b1) >>> 20;
    const colliding: number[] = [0x3f800000];
    for (let b = 0x3f800001; colliding.length < 4; b++) if (slot(b) === slot(colliding[0]!)) colliding.push(b);
    const palette = Float32Array.from({ length: 300 }, () => random() * 10 ** Math.floor(random() * 6 - 3));
    const rows = 12_000;
    const width = 9;
    for (let call = 0; call < 3; call++) {
      const scores = new Float32Array(rows * width);
      const bits = new Uint32Array(scores.buffer);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < width; c++) {
          const i = r * width + c;
          // Column 0: distinct values (its cache is given up); 1-2: a palette; 3: colliding slots; 4-8: mixes.
          if (c === 0) bits[i] = Math.floor(random() * 2 ** 32);
          else if (c <= 2) scores[i] = palette[Math.floor(random() * palette.length)]!;
          else if (c === 3) bits[i] = colliding[r % colliding.length]!;
          else scores[i] = random() < 0.5 ? palette[(r + c) % palette.length]! : (random() - 0.5) * 1e4;
        }
      }
      const flags = Uint8Array.from({ length: rows }, () => (random() < 0.5 ? 1 : 0));
      const passthrough = Buffer.from(Array.from({ length: rows }, (_, r) => `p${r}`).join(''));
      let end = 0;
      const ends = Int32Array.from({ length: rows }, (_, r) => (end += `p${r}`.length));
      const columns = [...Array.from({ length: width }, (_, c) => ({ values: scores, width, offset: c })), { values: flags, width: 1, offset: 0 }];
      const wasm = Buffer.from(formatCsvRows(passthrough, ends, true, rows, columns)).toString('latin1');
      assert.equal(wasm, referenceRows(passthrough, ends, true, rows, scores, width, flags), `call ${call}`);
    }
  });

  it('owns its result and handles a chunk without rows', () => {
    const scores = Float32Array.of(0.25);
    const one = formatCsvRows(Buffer.from('x'), Int32Array.of(1), true, 1, [{ values: scores, width: 1, offset: 0 }]);
    assert.equal(Buffer.from(one).toString(), 'x,0.25\n');
    assert.equal(one.byteOffset, 0);
    assert.equal(one.buffer.byteLength, one.byteLength);
    assert.equal(formatCsvRows(new Uint8Array(0), new Int32Array(0), false, 0, [{ values: scores, width: 1, offset: 0 }]).length, 0);
  });

  it('writes int32 labels as String() does, the extremes and negatives included', () => {
    const labels = Int32Array.of(0, 1, -1, 9, 10, -10, 123456789, 2147483647, -2147483648, 42);
    const scores = Float32Array.from(labels, (_, i) => i / 4);
    const rows = labels.length;
    const ends = Int32Array.from({ length: rows }, (_, r) => r + 1);
    const bytes = formatCsvRows(Buffer.from('abcdefghij'), ends, true, rows, [{ values: labels, width: 1, offset: 0 }, { values: scores, width: 1, offset: 0 }]);
    const expected = Array.from(labels, (label, r) => `${'abcdefghij'[r]},${String(label)},${String(scores[r])}\n`).join('');
    assert.equal(Buffer.from(bytes).toString(), expected);
  });
});
