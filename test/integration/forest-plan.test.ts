/**
 * The cached plan of a model's fused forests (forest-plan.ts): the graph rebuilt from it scores exactly as the
 * graph fused at load; damaged or foreign plans are refused; the proof writes one only when it passed; a worker's
 * load takes it (and ignores one that does not fit).
 */

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compileGraph, type CompiledGraph } from '../../src/model/compiled/compile-graph.js';
import { decodePlan, encodePlan } from '../../src/model/compiled/forest-plan.js';
import { ENGINE_VERSION, proveEngine, readCachedPlan } from '../../src/model/compiled/prove-engine.js';
import type { Value } from '../../src/model/compiled/values.js';
import { loadModel } from '../../src/model/model-session.js';
import { MODELS, tempDir } from '../helpers/paths.js';

const IFOREST = join(MODELS, 'iforest.onnx');

/** Rows over the thresholds' range with NaNs and repeated values, fixed seed. */
function rows(graph: CompiledGraph, count: number): Value {
  const width = graph.inputs[0]!.shape[1] as number;
  let state = 5;
  const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const data = Float32Array.from({ length: count * width }, () => (random() < 0.05 ? NaN : random() < 0.2 ? 1 : random() * 400 - 20));
  return { type: 'float32', dims: [count, width], data };
}

function score(graph: CompiledGraph, x: Value): Map<string, Value> {
  return graph.run(new Map([[graph.inputs[0]!.name, x]]), graph.outputs.map((o) => o.name));
}

describe('forest plan', () => {
  it('rebuilds the IsolationForest to the same outputs, without decoding the fused nodes', () => {
    const bytes = readFileSync(IFOREST);
    const fresh = compileGraph(bytes);
    assert.equal(fresh.plan.fused.length, 1);
    assert.ok(fresh.plan.replaced.length >= 100);
    const rebuilt = compileGraph(bytes, decodePlan(encodePlan(fresh.plan)));
    assert.equal(rebuilt.fastTrees, fresh.fastTrees);
    const x = rows(fresh, 3000);
    assert.deepEqual(score(rebuilt, x), score(fresh, x));
  });

  it('refuses a damaged plan, and a graph refuses a plan that is not its own', () => {
    const plan = encodePlan(compileGraph(readFileSync(IFOREST)).plan);
    const flipped = Uint8Array.from(plan);
    flipped[flipped.length - 3]! ^= 1;
    assert.throws(() => decodePlan(flipped), /checksum/);
    assert.throws(() => decodePlan(plan.subarray(0, plan.length >> 1)), /checksum|cut short/);
    assert.throws(() => decodePlan(Buffer.from('not a plan at all')), /not a forest plan/);
    const other = decodePlan(encodePlan(compileGraph(readFileSync(join(MODELS, 'trees', 'iforest.onnx'))).plan));
    assert.throws(() => compileGraph(readFileSync(IFOREST), other), /forest plan/);
  });

  it('is written by a proof that passed, next to its verdict, and read back', async (t) => {
    process.env.BATCH_INFER_CACHE_DIR = tempDir(t);
    const bytes = readFileSync(IFOREST);
    assert.equal(readCachedPlan(bytes), undefined);
    const result = await proveEngine(bytes, compileGraph(bytes));
    assert.equal(result.isProved, true, result.detail);
    const files = readdirSync(join(process.env.BATCH_INFER_CACHE_DIR, 'proofs'));
    assert.deepEqual(files.map((f) => f.replace(/^[0-9a-f]{64}/, 'H')).sort(), [`H-v${ENGINE_VERSION}.json`, `H-v${ENGINE_VERSION}.plan`]);
    assert.equal(readCachedPlan(bytes)?.fused.length, 1);
  });

  it('a worker load takes the cached plan, and ignores one that does not fit the model', async (t) => {
    const cache = tempDir(t);
    process.env.BATCH_INFER_CACHE_DIR = cache;
    const bytes = readFileSync(IFOREST);
    await proveEngine(bytes, compileGraph(bytes));
    const planFile = join(cache, 'proofs', readdirSync(join(cache, 'proofs')).find((f) => f.endsWith('.plan'))!);
    const model = { name: 'iforest', path: IFOREST, engine: 'compiled' as const };
    const fresh = compileGraph(bytes);
    const x = rows(fresh, 500);
    const run = async () => {
      const loaded = await loadModel(model);
      const out = await loaded.session.run({ [fresh.inputs[0]!.name]: { type: 'float32', dims: x.dims, data: x.data } as never }, fresh.outputs.map((o) => o.name));
      return Object.values(out).map((v) => v?.data);
    };
    const expected = [...score(fresh, x).values()].map((v) => v.data);
    assert.deepEqual(await run(), expected.map((d) => (d instanceof Float64Array ? BigInt64Array.from(d, (v) => BigInt(v)) : d)));
    // A plan whose leaf values are doubled (checksum and all): the load uses it, so the scores change.
    const doubled = decodePlan(readFileSync(planFile));
    doubled.fused[0]!.forest.values.forEach((v, i, values) => (values[i] = v * 2));
    writeFileSync(planFile, encodePlan(doubled));
    assert.notDeepEqual(await run(), expected);
    // Another model's plan does not fit: the load fuses the forests itself.
    writeFileSync(planFile, encodePlan(compileGraph(readFileSync(join(MODELS, 'trees', 'iforest.onnx'))).plan));
    assert.deepEqual(await run(), expected.map((d) => (d instanceof Float64Array ? BigInt64Array.from(d, (v) => BigInt(v)) : d)));
  });
});
