import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compileGraph, type CompiledGraph } from '../../src/model/compiled/compile-graph.js';
import { proveEngine } from '../../src/model/compiled/prove-engine.js';
import { proofCacheDir } from '../../src/model/proof-cache.js';
import { MODELS, tempDir } from '../helpers/paths.js';

/** The latency model's graph with every float output moved by `delta`. */
function shifted(delta: number): CompiledGraph {
  const graph = compileGraph(readFileSync(join(MODELS, 'latency.onnx')));
  return {
    ...graph,
    run(feeds, outputs) {
      const results = graph.run(feeds, outputs);
      for (const value of results.values()) if (value.data instanceof Float32Array) value.data.forEach((v, i, data) => (data[i] = v + delta * Math.max(1, Math.abs(v))));
      return results;
    },
  };
}

describe('proveEngine', () => {
  it('fails a graph whose outputs differ from onnxruntime beyond the tolerance, and caches the verdict', async (t) => {
    process.env.BATCH_INFER_CACHE_DIR = tempDir(t);
    const bytes = readFileSync(join(MODELS, 'latency.onnx'));
    const first = await proveEngine(bytes, shifted(1e-4));
    assert.equal(first.isProved, false);
    assert.match(first.detail, /^variable\[0\]: .*, onnxruntime /);
    const again = await proveEngine(bytes, shifted(0));
    assert.deepEqual([again.isProved, again.isCached], [false, true]);
  });

  it('passes the compiled graph itself', async (t) => {
    process.env.BATCH_INFER_CACHE_DIR = tempDir(t);
    const result = await proveEngine(readFileSync(join(MODELS, 'latency.onnx')), shifted(0));
    assert.deepEqual([result.isProved, result.detail, result.isCached], [true, '', false]);
  });

  it('never caches in the working directory: an empty or relative XDG_CACHE_HOME and an empty BATCH_INFER_CACHE_DIR fall back to ~/.cache', () => {
    const home = join(homedir(), '.cache', 'batch-infer');
    assert.equal(proofCacheDir({ XDG_CACHE_HOME: '' }), home);
    assert.equal(proofCacheDir({ XDG_CACHE_HOME: 'cache' }), home);
    assert.equal(proofCacheDir({ BATCH_INFER_CACHE_DIR: '', XDG_CACHE_HOME: '/var/cache' }), '/var/cache/batch-infer');
    assert.equal(proofCacheDir({ BATCH_INFER_CACHE_DIR: '/tmp/proofs' }), '/tmp/proofs');
  });
});
