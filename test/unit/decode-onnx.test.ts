/**
 * The fast ONNX decoder (decode-onnx.ts) against the reference, onnx-proto: every model in the repository, models
 * written by hand in encodings the fixtures do not use (packed repeated fields, negative and long varints, a
 * dimension's oneof, unknown fields), and damaged bytes, where readOnnx must give the reference's graph or its error.
 */

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readOnnx, readOnnxFast, readOnnxReference } from '../../src/model/compiled/read-onnx.js';
import { FIXTURES } from '../helpers/paths.js';

function modelFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? modelFiles(path) : name.endsWith('.onnx') ? [path] : [];
  });
}

/** A protobuf writer for the hand-made models: just what the wire format needs. */
class Wire {
  readonly bytes: number[] = [];

  varint(value: bigint | number): this {
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      const low = Number(v & 0x7fn);
      v >>= 7n;
      this.bytes.push(v > 0n ? low | 0x80 : low);
    } while (v > 0n);
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint((field << 3) | wireType);
  }

  int(field: number, value: bigint | number): this {
    return this.tag(field, 0).varint(value);
  }

  float(field: number, value: number): this {
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.tag(field, 5).bytes.push(...b);
    return this;
  }

  raw(field: number, data: Uint8Array | number[]): this {
    this.tag(field, 2).varint(data.length).bytes.push(...data);
    return this;
  }

  string(field: number, text: string): this {
    return this.raw(field, Buffer.from(text));
  }

  message(field: number, inner: Wire): this {
    return this.raw(field, inner.bytes);
  }

  packedInts(field: number, values: (number | bigint)[]): this {
    const inner = new Wire();
    for (const v of values) inner.varint(v);
    return this.raw(field, inner.bytes);
  }

  packedFloats(field: number, values: number[]): this {
    const b = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => b.writeFloatLE(v, i * 4));
    return this.raw(field, b);
  }

  /** An unknown fixed64 field. */
  fixed64(field: number): this {
    this.tag(field, 1).bytes.push(1, 2, 3, 4, 5, 6, 7, 8);
    return this;
  }

  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** A model of one TreeEnsembleRegressor whose attributes use packed fields, long varints and unknown fields. */
function handMadeModel(): Uint8Array {
  const shape = new Wire().message(1, new Wire().int(1, -1)).message(1, new Wire().string(2, 'N')).message(1, new Wire().int(1, 3));
  // A dimension naming both sides of the oneof: onnx-proto keeps both, and the value counts.
  const both = new Wire().int(1, 7).string(2, 'M');
  const input = new Wire().string(1, 'X').message(2, new Wire().message(1, new Wire().int(1, 1).message(2, shape.message(1, both))));
  const output = new Wire().string(1, 'Y').message(2, new Wire().message(1, new Wire().int(1, 1).message(2, new Wire().message(1, new Wire()))));
  const tree = new Wire()
    .string(1, 'X')
    .string(2, 'Y')
    .string(4, 'TreeEnsembleRegressor')
    .string(7, 'ai.onnx.ml')
    .message(5, new Wire().string(1, 'nodes_treeids').packedInts(8, [0, 0, 0]).int(20, 7))
    .message(5, new Wire().string(1, 'nodes_nodeids').int(8, 0).int(8, 1).packedInts(8, [2]))
    .message(5, new Wire().string(1, 'nodes_featureids').packedInts(8, [2, 0, 0]))
    .message(5, new Wire().string(1, 'nodes_values').packedFloats(7, [0.5, 0, 0]).float(7, -1.25))
    .message(5, new Wire().string(1, 'nodes_truenodeids').packedInts(8, [1, -1n, 2n ** 40n]))
    .message(5, new Wire().string(1, 'nodes_modes').string(9, 'BRANCH_LEQ').string(9, 'LEAF').string(9, 'LEAF'))
    .message(5, new Wire().string(1, 'n_targets').int(3, 1).int(20, 2))
    .message(5, new Wire().string(1, 'big').int(3, -(2n ** 62n)).int(3, 2n ** 62n + 5n))
    .message(5, new Wire().string(1, 'ratio').float(2, 0.1).string(4, 'é and ascii'))
    .raw(99, [1, 2, 3]);
  const initializer = new Wire()
    .packedInts(1, [2, 2])
    .int(2, 1)
    .packedFloats(4, [1, 2, 3, 4])
    .string(8, 'W')
    // An int32 written as a negative ten-byte varint: the low 32 bits count.
    .tag(2, 0)
    .varint(-1)
    .int(2, 1);
  const longs = new Wire().packedInts(1, [3]).int(2, 7).int(7, -3).int(7, 2n ** 53n - 1n).int(7, 12).string(8, 'L');
  const graph = new Wire().message(1, tree).string(2, 'g').message(5, initializer).message(5, longs).message(11, input).message(12, output).fixed64(99);
  return new Wire().int(1, 8).message(8, new Wire().string(1, '').int(2, 17)).message(8, new Wire().string(1, 'ai.onnx.ml').int(2, 3)).message(7, graph).done();
}

describe('fast ONNX decoder', () => {
  it('decodes every model in the repository to the graph onnx-proto gives', () => {
    const files = modelFiles(FIXTURES);
    assert.ok(files.length >= 20, `${files.length} models found`);
    for (const file of files) {
      const bytes = readFileSync(file);
      assert.deepEqual(readOnnxFast(bytes), readOnnxReference(bytes), file);
    }
  });

  it('reads packed and unpacked repeated fields, long and negative varints, a oneof and unknown fields as onnx-proto does', () => {
    const bytes = handMadeModel();
    const graph = readOnnxFast(bytes);
    assert.deepEqual(graph, readOnnxReference(bytes));
    // The hand-made values came through (so the comparison above compared something).
    const tree = graph.nodes[0]!;
    assert.deepEqual(tree.attributes.get('nodes_truenodeids')!.ints, [1, -1, 2 ** 40]);
    assert.deepEqual(tree.attributes.get('nodes_values')!.floats, [0.5, 0, 0, -1.25]);
    assert.equal(tree.attributes.get('ratio')!.s, 'é and ascii');
    assert.deepEqual(graph.inputs[0]!.shape, ['', 'N', 3, 7]);
    assert.deepEqual(graph.opsets, new Map([['', 17], ['ai.onnx.ml', 3]]));
  });

  it('on damaged bytes gives the graph onnx-proto gives, or its error, or a graph only where onnx-proto refused what the engine does not read', () => {
    const original = readFileSync(join(FIXTURES, 'models', 'classifier.onnx'));
    let state = 11;
    const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const outcomes = { same: 0, sameError: 0, readWhereRefused: 0 };
    for (let k = 0; k < 400; k++) {
      const bytes = Uint8Array.from(original);
      const cut = k % 3 === 0 ? Math.floor(random() * bytes.length) : bytes.length;
      for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) bytes[Math.floor(random() * cut)] = Math.floor(random() * 256);
      const damaged = bytes.subarray(0, cut);
      let expected: unknown;
      try {
        expected = readOnnxReference(damaged);
      } catch (error) {
        expected = error;
      }
      let actual: unknown;
      try {
        actual = readOnnx(damaged);
      } catch (error) {
        actual = error;
      }
      if (!(expected instanceof Error)) {
        // Whenever onnx-proto reads the bytes, the fast path must give the very same graph.
        assert.deepEqual(actual, expected, `case ${k}`);
        outcomes.same++;
      } else if (actual instanceof Error) {
        assert.equal(actual.message, expected.message, `case ${k}`);
        outcomes.sameError++;
      } else {
        // onnx-proto refused a damaged field the fast path skips (a name, a doc string, metadata): the fast path
        // read the rest, which onnx-proto never returned; nothing to compare.
        outcomes.readWhereRefused++;
      }
    }
    assert.ok(outcomes.same > 100 && outcomes.sameError > 20, JSON.stringify(outcomes));
    // A name that is not ASCII: the fast path refuses it (protobufjs decodes such bytes its own way), readOnnx
    // then gives onnx-proto's graph.
    const named = Buffer.from(original);
    const at = named.indexOf('features');
    named[at] = 0xe9;
    assert.throws(() => readOnnxFast(named), /not ASCII/);
    assert.deepEqual(readOnnx(named), readOnnxReference(named));
  });
});
