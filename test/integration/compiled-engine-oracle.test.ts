/**
 * Random tree ensembles, written as ONNX bytes, scored by onnxruntime-node and by the compiled engine from the
 * same bytes: every output must agree within the engine's tolerance.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { compileGraph, type CompiledGraph } from '../../src/model/compiled/compile-graph.js';
import { UnsupportedModel } from '../../src/model/compiled/unsupported.js';
import { CompiledRunner } from '../../src/model/compiled/compiled-runner.js';
import { compareOutputs } from '../../src/model/compiled/prove-engine.js';
import { createCaseRandom, describeReproduction, readFuzzSettings } from '../helpers/fuzz-settings.js';
import { makeRandomForest, makeRows } from '../helpers/random-forest.js';

const settings = readFuzzSettings(300);
const ROWS = 64;

async function compareCase(n: number): Promise<string> {
  const random = createCaseRandom(settings.seed, n);
  const forest = makeRandomForest(random);
  const rows = makeRows(random, forest, ROWS);
  const session = await ort.InferenceSession.create(forest.bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    let expected: ort.InferenceSession.ReturnType;
    try {
      expected = await session.run({ x: new ort.Tensor('float32', rows, [ROWS, forest.features]) });
    } catch (error) {
      // onnxruntime refuses some valid-looking ensembles (narrowing_error): nothing to compare with.
      return `skip: ${forest.summary}: ${String(error)}`;
    }
    let graph: CompiledGraph;
    try {
      graph = compileGraph(forest.bytes);
    } catch (error) {
      // A combination the engine leaves to onnxruntime: it must say so by this error, never compute it wrong.
      if (error instanceof UnsupportedModel) return `skip: ${forest.summary}: ${error.message}`;
      throw error;
    }
    const actual = new CompiledRunner(graph).runNow({ x: { type: 'float32', dims: [ROWS, forest.features], data: rows } }, session.outputNames);
    for (const name of session.outputNames) {
      const toPlain = (data: unknown) => Array.from(data as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v));
      const difference = compareOutputs(name, toPlain(expected[name]!.data), toPlain(actual[name]!.data));
      if (difference !== '') return `${forest.summary}: ${difference}`;
    }
    return '';
  } finally {
    await session.release();
  }
}

describe('compiled tree engine against onnxruntime-node on random forests', () => {
  it(`agrees on every output of ${settings.cases.length} random ensembles (modes, ties, NaN, aggregates, transforms)`, async () => {
    const failures: string[] = [];
    let skipped = 0;
    for (const n of settings.cases) {
      const difference = await compareCase(n);
      if (difference.startsWith('skip: ')) skipped++;
      else if (difference !== '') failures.push(`${difference} (${describeReproduction(settings, n, import.meta.url)})`);
    }
    assert.deepEqual(failures.slice(0, 5), []);
    // Most cases must have been compared, or the test proves little.
    assert.ok(skipped < settings.cases.length / 4, `${skipped} of ${settings.cases.length} cases refused by onnxruntime or left to it`);
  });
});
