import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteWriter } from '../../src/scoring/format/byte-writer.js';
import { createRandom } from '../../src/synth/apm-snapshot.js';

function float32Text(value: number): string {
  const writer = new ByteWriter(8);
  writer.float32(value);
  return Buffer.from(writer.view()).toString('latin1');
}

describe('ByteWriter.float32', () => {
  it('writes every float32 so that it reads back to the same float32, in at most 9 significant digits', () => {
    const random = createRandom(99);
    const view = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < 200_000; i++) {
      // Random bit patterns cover every exponent, subnormals included; plus plain magnitudes.
      view.setUint32(0, Math.floor(random() * 2 ** 32));
      const bits = view.getFloat32(0);
      const value = i % 2 === 0 ? bits : Math.fround((random() - 0.5) * 10 ** Math.floor(random() * 20 - 10));
      if (!Number.isFinite(value)) continue;
      const text = float32Text(value);
      assert.equal(Math.fround(Number(text)), value, `${value} written as ${text}`);
      assert.ok(text.replace(/^-|e.*$|\./g, '').replace(/^0+/, '').length <= 9, text);
    }
  });

  it('writes readable plain decimals and exponents', () => {
    const cases: [number, string][] = [[0, '0'], [-0, '0'], [1, '1'], [-2.5, '-2.5'], [100, '100'], [Math.fround(123456789), '123456790'], [0.5, '0.5'], [Math.fround(0.1), '0.1'], [Math.fround(1e-7), '1e-7'], [Math.fround(3e12), '3e+12'], [Math.fround(0.000574269507), '0.0005742695']];
    for (const [value, text] of cases) assert.equal(float32Text(value), text);
    assert.equal(float32Text(Number.NaN), 'NaN');
    assert.equal(float32Text(Number.NEGATIVE_INFINITY), '-Infinity');
  });
});

describe('ByteWriter.text', () => {
  it('writes any text as UTF-8, as Buffer.from does', () => {
    for (const text of ['', 'plain ascii, 123', 'café', 'naïve ☕ tail', '🚀 first', 'mixed ascii then 名前 then ascii', 'lone \ud800 surrogate', 'x'.repeat(300) + 'é']) {
      const writer = new ByteWriter(4);
      writer.ascii('>');
      writer.text(text);
      writer.ascii('<');
      assert.deepEqual(Buffer.from(writer.view()), Buffer.from(`>${text}<`, 'utf8'), text);
    }
  });
});

