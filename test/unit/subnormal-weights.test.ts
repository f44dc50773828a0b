import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import { flushSubnormalWeights } from '../../src/model/subnormal-weights.js';
import { MODELS } from '../helpers/paths.js';
import { DOUBLE, FLOAT, rawFloatTensor, SUBNORMAL, valueInfo } from '../helpers/small-models.js';

const { onnx } = onnxProto;
const TINY = 2 ** -126;

/** Every float32 or float64 constant of a decoded model, by name, as numbers (graph, nodes' attributes, subgraphs). */
function constants(bytes: Uint8Array): Map<string, number[]> {
  const found = new Map<string, number[]>();
  const tensor = (t: onnxProto.onnx.ITensorProto): void => {
    const raw = t.rawData !== undefined && t.rawData !== null && t.rawData.length > 0 ? Uint8Array.from(t.rawData) : undefined;
    const values =
      raw !== undefined
        ? Array.from(t.dataType === DOUBLE ? new Float64Array(raw.buffer) : new Float32Array(raw.buffer))
        : t.dataType === DOUBLE
          ? (t.doubleData ?? []).map(Number)
          : (t.floatData ?? []).map(Number);
    found.set(t.name ?? '', values);
  };
  const graph = (g: onnxProto.onnx.IGraphProto): void => {
    for (const t of g.initializer ?? []) tensor(t);
    for (const node of g.node ?? []) {
      for (const a of node.attribute ?? []) {
        if (a.t !== undefined && a.t !== null) tensor(a.t);
        if (a.g !== undefined && a.g !== null) graph(a.g);
        for (const t of a.tensors ?? []) tensor(t);
      }
    }
  };
  graph(onnx.ModelProto.decode(bytes).graph!);
  return found;
}

const isSubnormal = (v: number, isDouble: boolean): boolean => v !== 0 && Math.abs(v) < (isDouble ? 2 ** -1022 : TINY);

/** A model holding subnormals in every place a constant can be: raw_data, float_data, double_data, a Constant node, a subgraph. */
function everywhereModel(external = false): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'everywhere',
      initializer: [
        rawFloatTensor('raw', [1, SUBNORMAL, -SUBNORMAL, TINY, 0, -0.5]),
        { name: 'packed', dataType: FLOAT, dims: [4], floatData: [SUBNORMAL, 2, -3e-39, 1e-30] },
        { name: 'doubles', dataType: DOUBLE, dims: [3], doubleData: [1e-310, 1e-300, -5e-324] },
        { name: 'rawDoubles', dataType: DOUBLE, dims: [2], rawData: new Uint8Array(Float64Array.from([-1e-320, 7]).buffer) },
        // An int32 tensor whose bytes read as a subnormal float: not a float, left alone.
        { name: 'ints', dataType: 6, dims: [1], rawData: new Uint8Array(Int32Array.from([5]).buffer) },
        ...(external ? [{ name: 'far', dataType: FLOAT, dims: [1], dataLocation: 1, externalData: [{ key: 'location', value: 'weights.bin' }] }] : []),
      ],
      node: [
        { opType: 'Constant', output: ['c'], attribute: [{ name: 'value', type: 4, t: rawFloatTensor('constant', [SUBNORMAL, 3]) }] },
        {
          opType: 'If',
          input: ['cond'],
          output: ['z'],
          attribute: [{ name: 'then_branch', type: 5, g: { name: 'then', initializer: [rawFloatTensor('inner', [-SUBNORMAL, 4])], output: [valueInfo('inner', FLOAT, [2])] } }],
        },
      ],
      input: [valueInfo('cond', 9, [])],
      output: [valueInfo('z', FLOAT, [2])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

describe('flushSubnormalWeights', () => {
  it('zeroes every subnormal float32 and float64 constant, wherever it is kept, keeping its sign', () => {
    const original = everywhereModel();
    const copy = flushSubnormalWeights(original)!;
    const before = constants(original);
    const after = constants(copy.bytes);
    let expected = 0;
    for (const [name, values] of before) {
      if (name === 'ints') continue;
      const isDouble = name === 'doubles' || name === 'rawDoubles';
      const wanted = values.map((v) => (isSubnormal(v, isDouble) ? (v < 0 ? -0 : 0) : v));
      expected += values.filter((v) => isSubnormal(v, isDouble)).length;
      assert.deepEqual(after.get(name), wanted, name);
    }
    assert.equal(copy.flushed, expected);
    assert.equal(copy.flushed, 9);
    assert.deepEqual(Array.from(new Int32Array(Uint8Array.from(onnx.ModelProto.decode(copy.bytes).graph!.initializer![4]!.rawData!).buffer)), [5]);
    // The copy is the same length, and the original is untouched.
    assert.equal(copy.bytes.length, original.length);
    assert.deepEqual(constants(original), before);
  });

  it('changes only the bytes of the values it zeroes: the fixture autoencoder', () => {
    const original = readFileSync(join(MODELS, 'autoencoder.onnx'));
    const copy = flushSubnormalWeights(original)!;
    const view = new DataView(original.buffer, original.byteOffset, original.byteLength);
    const changed = new Set<number>();
    original.forEach((b, i) => b !== copy.bytes[i] && changed.add(i));
    assert.ok(changed.size > 0);
    // Each changed byte belongs to a float32 that was subnormal in the file and is a zero in the copy.
    const starts = new Set<number>();
    for (const i of changed) {
      const start = [0, 1, 2, 3].map((k) => i - k).find((s) => s >= 0 && s + 4 <= original.length && isSubnormal(view.getFloat32(s, true), false));
      assert.notEqual(start, undefined, `byte ${i}`);
      starts.add(start!);
    }
    for (const s of starts) assert.equal(new DataView(copy.bytes.buffer).getFloat32(s, true), 0 * Math.sign(view.getFloat32(s, true)));
    assert.equal(copy.flushed, starts.size);
    assert.equal(copy.flushed, 37);
  });

  it('leaves a model without subnormal constants byte for byte as it is', () => {
    for (const file of readdirSync(MODELS).filter((f) => f.endsWith('.onnx') && f !== 'autoencoder.onnx')) {
      const bytes = readFileSync(join(MODELS, file));
      const copy = flushSubnormalWeights(bytes)!;
      assert.equal(copy.flushed, 0, file);
      assert.deepEqual(copy.bytes, Uint8Array.from(bytes), file);
    }
  });

  it('refuses a model with values in an external file, and bytes that are not ONNX', () => {
    assert.equal(flushSubnormalWeights(everywhereModel(true)), undefined);
    assert.equal(flushSubnormalWeights(Uint8Array.from([0x3a, 0xff, 0x01])), undefined);
  });
});
