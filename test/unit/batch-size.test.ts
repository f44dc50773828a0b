import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkModelSignature } from '../../src/model/bind-plan.js';
import type { ManifestModel } from '../../src/model/manifest.js';
import type { ModelSignature } from '../../src/model/signature.js';

const model: ManifestModel = {
  name: 'm',
  path: '/m.onnx',
  inputs: [
    { name: 'a', type: 'float32', columns: ['p', 'q'], fill: undefined },
    { name: 'b', type: 'float32', columns: ['r'], fill: undefined },
  ],
  outputs: [{ name: 'y', columns: ['y'], type: undefined }],
  thresholds: [],
  keepsNonFinite: false,
  remote: undefined,
};

function signature(a: (number | string)[], b: (number | string)[], y: (number | string)[]): ModelSignature {
  return {
    name: 'm',
    path: '/m.onnx',
    inputs: [
      { name: 'a', type: 'float32', shape: a },
      { name: 'b', type: 'float32', shape: b },
    ],
    outputs: [
      { name: 'y', type: 'float32', shape: y },
      // Not in the manifest: never read, so its shape does not matter.
      { name: 'unused', type: 'float32', shape: [1] },
    ],
  };
}

describe('checkModelSignature: the batch dimension', () => {
  it('takes any number of rows when no input fixes the first dimension', () => {
    assert.equal(checkModelSignature(model, signature(['', 2], ['N'], ['', 1])).batchSize, undefined);
  });

  it('finds a fixed batch size, also when only some inputs fix it', () => {
    assert.equal(checkModelSignature(model, signature([4, 2], [4], [4, 1])).batchSize, 4);
    assert.equal(checkModelSignature(model, signature([1, 2], [''], ['', 1])).batchSize, 1);
  });

  it('refuses inputs fixed to different batch sizes, naming the model and both inputs', () => {
    assert.throws(() => checkModelSignature(model, signature([4, 2], [2], [4, 1])), {
      code: 'MANIFEST_MISMATCH',
      message: "model /m.onnx: input 'b' has a fixed batch of 2 rows ([2]), input 'a' one of 4; both are fed the same rows",
    });
  });

  it('refuses an output whose first dimension is fixed to anything but the batch', () => {
    assert.throws(() => checkModelSignature(model, signature([4, 2], [4], [1, 1])), { code: 'MANIFEST_MISMATCH', message: /output 'y' has shape \[1, 1\]: its first dimension is not the batch \(the inputs take a fixed batch of 4 rows\)/ });
    assert.throws(() => checkModelSignature(model, signature(['', 2], [''], [1])), { code: 'MANIFEST_MISMATCH', message: /output 'y' has shape \[1\]: .*the inputs take any number of rows/ });
  });
});
