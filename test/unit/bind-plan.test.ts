import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bindPlan, type BindOptions } from '../../src/model/bind-plan.js';
import { BatchInferError } from '../../src/errors.js';
import { manifestForModel } from '../../src/model/manifest.js';
import type { ModelSignature } from '../../src/model/signature.js';

const options = (header: string[]): BindOptions => ({ inputFormat: 'csv', outputFormat: 'csv', parser: 'fast', batchRows: 1024, header, inputName: 'in.csv' });

/** What the runtime would report for a one-input, one-output model at `path`. */
function signature(path: string, input: { type: string; shape: (number | string)[] }, output = { name: 'y', type: 'float32', shape: ['N'] as (number | string)[] }): ModelSignature {
  return { name: 'm', path, inputs: [{ name: 'x', ...input }], outputs: [output] };
}

function bindError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof BatchInferError, String(error));
    return error.message;
  }
  assert.fail('expected a BatchInferError');
}

describe('bindPlan on the --model quick path', () => {
  it("names the model input's type and the way out when it is not float32", () => {
    const manifest = manifestForModel('m.onnx', ['a', 'b'], undefined);
    const message = bindError(() => bindPlan(manifest, [signature(manifest.models[0]!.path, { type: 'int64', shape: ['N', 2] })], options(['id', 'a', 'b'])));
    assert.match(message, /input 'x' is int64; --model takes a model with one float32 input \(write a manifest with "type": "int64"\)/);
    assert.doesNotMatch(message, /the manifest says/);
  });

  it('says why an output name collides with a column passed through by default, and how to choose', () => {
    const manifest = manifestForModel('m.onnx', ['a'], undefined);
    const sig = signature(manifest.models[0]!.path, { type: 'float32', shape: ['N'] });
    const message = bindError(() => bindPlan(manifest, [sig], options(['id', 'a', 'y'])));
    assert.match(message, /output column 'y' is written twice \(the input has a column 'y' too, passed through by default: choose pass-through columns with --passthrough\)/);
    // With the pass-through chosen, the same model binds.
    const chosen = bindPlan(manifestForModel('m.onnx', ['a'], ['id']), [sig], options(['id', 'a', 'y']));
    assert.deepEqual(chosen.outputColumns, ['id', 'y']);
  });
});

describe("bindPlan with an output's declared type", () => {
  it('refuses a local model whose output type differs from the one the manifest writes', () => {
    const base = manifestForModel('m.onnx', ['a'], undefined);
    const manifest = { ...base, models: [{ ...base.models[0]!, inputs: [{ name: 'x', type: 'float32' as const, columns: ['a'], fill: undefined }], outputs: [{ name: 'y', columns: ['y'], type: 'float32' as const }] }] };
    const sig = (type: string): ModelSignature => signature(manifest.models[0]!.path, { type: 'float32', shape: ['N'] }, { name: 'y', type, shape: ['N'] });
    assert.match(bindError(() => bindPlan(manifest, [sig('float64')], options(['a']))), /output 'y' is float64 in the model, the manifest says float32$/);
    assert.deepEqual(bindPlan(manifest, [sig('float32')], options(['a'])).outputColumns, ['y']);
  });
});
