/**
 * The compiled tree engine against goldens written by Python onnxruntime (fixtures/models/trees/make_trees.py):
 * scikit-learn, LightGBM and XGBoost models, inputs with NaN and with values exactly at split thresholds.
 */

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compileGraph } from '../../src/model/compiled/compile-graph.js';
import { CompiledRunner } from '../../src/model/compiled/compiled-runner.js';
import { compareOutputs } from '../../src/model/compiled/prove-engine.js';

const DIR = join(import.meta.dirname, '../../../fixtures/models/trees');

interface Golden {
  model: string;
  input: string;
  columns: number;
  rows: (number | null)[][];
  outputs: Record<string, (number | string | null)[]>;
}

const goldens = readdirSync(DIR)
  .filter((file) => file.endsWith('.golden.json'))
  .map((file) => JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Golden);

describe('compiled tree engine against Python onnxruntime goldens', () => {
  it('has the goldens of every converter', () => {
    const names = goldens.map((g) => g.model).join(' ');
    for (const kind of ['iforest', 'gbr', 'rf_binary', 'rf_multi', 'et_regressor', 'et_classifier', 'lgbm_regressor', 'lgbm_binary', 'lgbm_multi', 'xgb_regressor', 'xgb_binary', 'xgb_multi']) {
      assert.match(names, new RegExp(`\\b${kind}\\.onnx`));
    }
  });

  for (const golden of goldens) {
    it(`${golden.model}: every output equals onnxruntime's within the tolerance, NaN and ties included`, () => {
      const runner = new CompiledRunner(compileGraph(readFileSync(join(DIR, golden.model))));
      const data = Float32Array.from(golden.rows.flat(), (v) => (v === null ? NaN : v));
      const names = Object.keys(golden.outputs);
      const got = runner.runNow({ [golden.input]: { type: 'float32', dims: [golden.rows.length, golden.columns], data } }, names);
      for (const name of names) {
        const expected = golden.outputs[name]!.map((v) => (v === null ? NaN : v));
        const actual = Array.from(got[name]!.data as ArrayLike<number | bigint | string>, (v) => (typeof v === 'bigint' ? Number(v) : v));
        assert.equal(compareOutputs(name, expected, actual), '');
      }
    });
  }
});
