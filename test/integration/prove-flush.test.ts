/**
 * Flushed subnormal weights (subnormal-weights.ts, prove-flush.ts): the proof passes the fixture autoencoder and
 * refuses a model whose outputs the flush changes; only `--engine auto` flushes, only after a passed proof; a
 * worker flushes exactly the bytes that were proved, and `run` writes what onnxruntime computes for the file.
 */

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { decideEngine } from '../../src/model/choose-engine.js';
import { loadModel } from '../../src/model/model-session.js';
import { sha256 } from '../../src/model/proof-cache.js';
import { FLUSH_VERSION, proveFlush } from '../../src/model/prove-flush.js';
import { runCli } from '../helpers/cli.js';
import { MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';
import { multiplyModel, SUBNORMAL } from '../helpers/small-models.js';

const AUTOENCODER = join(MODELS, 'autoencoder.onnx');

/** The Mul model (y = x * [SUBNORMAL, 1]) written to a file, with a one-model manifest reading columns a, b. */
function writeMultiply(dir: string): { model: string; manifest: string } {
  const model = join(dir, 'multiply.onnx');
  writeFileSync(model, multiplyModel([SUBNORMAL, 1]));
  const manifest = join(dir, 'multiply.json');
  const spec = { name: 'multiply', path: 'multiply.onnx', inputs: [{ name: 'x', type: 'float32', columns: ['a', 'b'] }], outputs: [{ name: 'y', columns: ['ya', 'yb'] }] };
  writeFileSync(manifest, JSON.stringify({ version: 1, passthrough: [], models: [spec] }));
  return { model, manifest };
}

async function scoreOne(setup: Parameters<typeof loadModel>[0], x: [number, number]): Promise<number[]> {
  const loaded = await loadModel(setup);
  try {
    const result = await loaded.session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, 2]) }, ['y']);
    return Array.from(result.y!.data as Float32Array);
  } finally {
    await loaded.session.release();
  }
}

describe('flushed subnormal weights', () => {
  it('pass their proof for the fixture autoencoder, and the verdict is cached', async (t) => {
    process.env.BATCH_INFER_CACHE_DIR = tempDir(t);
    const bytes = readFileSync(AUTOENCODER);
    const first = await proveFlush(bytes);
    assert.deepEqual([first.flushed, first.detail, first.isCached], [37, '', false]);
    const again = await proveFlush(bytes);
    assert.deepEqual([again.flushed, again.detail, again.isCached], [37, '', true]);
  });

  it('fail their proof when the flush changes an output, and auto then keeps the weights', async (t) => {
    const dir = tempDir(t);
    process.env.BATCH_INFER_CACHE_DIR = dir;
    const { model } = writeMultiply(dir);
    const verdict = await proveFlush(readFileSync(model));
    assert.equal(verdict.flushed, 1);
    assert.match(verdict.detail, /^y\[\d+\]: -?0, unflushed -?\d/);
    const decision = await decideEngine({ name: 'multiply', path: model }, 'auto');
    assert.equal(decision.flushedFor, undefined);
    assert.match(decision.reason, /1 subnormal weight kept as they are \(flushed, they change the proof sample: y\[/);
  });

  it('are flushed by auto only, for the bytes that were proved', async (t) => {
    process.env.BATCH_INFER_CACHE_DIR = tempDir(t);
    const auto = await decideEngine({ name: 'autoencoder', path: AUTOENCODER }, 'auto');
    assert.equal(auto.flushedFor, sha256(readFileSync(AUTOENCODER)));
    assert.match(auto.reason, /37 subnormal weights flushed to zero, proof passed in \d+ ms/);
    const exact = await decideEngine({ name: 'autoencoder', path: AUTOENCODER }, 'onnxruntime');
    assert.equal(exact.flushedFor, undefined);
    // A model without subnormal weights: nothing said, nothing flushed.
    const classifier = await decideEngine({ name: 'classifier', path: join(MODELS, 'classifier.onnx') }, 'auto');
    assert.equal(classifier.flushedFor, undefined);
    assert.doesNotMatch(classifier.reason, /subnormal/);
  });

  it('are flushed in a worker only when the file still has the proved bytes', async (t) => {
    const { model } = writeMultiply(tempDir(t));
    const proved = sha256(readFileSync(model));
    const asIs = await scoreOne({ name: 'multiply', path: model }, [3, 2]);
    assert.ok(asIs[0]! > 0 && asIs[0]! < 2 ** -126, `as is: ${asIs[0]}`);
    assert.deepEqual(await scoreOne({ name: 'multiply', path: model, flushedFor: proved }, [3, 2]), [0, 2]);
    assert.deepEqual(await scoreOne({ name: 'multiply', path: model, flushedFor: sha256(Buffer.from('other bytes')) }, [3, 2]), asIs);
  });

  it('reach the pool workers of a run, whose output for the autoencoder is what onnxruntime computes for the file', (t) => {
    const dir = tempDir(t);
    const env = { BATCH_INFER_CACHE_DIR: dir };
    const manifest = join(MODELS, 'autoencoder.manifest.json');
    const auto = runCli(['run', SNAPSHOT, '-m', manifest, '-q', '--workers', '2'], { env });
    const exact = runCli(['run', SNAPSHOT, '-m', manifest, '-q', '--workers', '2', '--engine', 'onnxruntime'], { env });
    assert.equal(auto.code, 0, auto.stderr);
    assert.equal(exact.code, 0, exact.stderr);
    assert.equal(auto.stdout.split('\n').length, readFileSync(SNAPSHOT, 'utf8').trimEnd().split('\n').length + 1);
    assert.equal(auto.stdout, exact.stdout);
    // The workers really load the flushed copy: with a verdict forged for the Mul model, its outputs change.
    const { model, manifest: multiply } = writeMultiply(dir);
    writeFileSync(join(dir, 'proofs', `${sha256(readFileSync(model))}-flush-v${FLUSH_VERSION}.json`), JSON.stringify({ flushed: 1, detail: '' }));
    const input = 'a,b\n3,2\n1,1\n';
    const forged = runCli(['run', '-', '-m', multiply, '-q'], { env, input });
    const asIs = runCli(['run', '-', '-m', multiply, '-q', '--engine', 'onnxruntime'], { env, input });
    assert.equal(forged.code, 0, forged.stderr);
    assert.equal(forged.stdout, 'ya,yb\n0,2\n0,1\n');
    assert.match(asIs.stdout, /^ya,yb\n\d\.\d+e-4\d,2\n\d\.\d+e-4\d,1\n$/);
  });
});
