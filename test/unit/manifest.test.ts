import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchInferError } from '../../src/errors.js';
import { parseManifest } from '../../src/model/manifest.js';

const model = { path: 'm.onnx', inputs: [{ name: 'x', columns: ['a', 'b'] }], outputs: [{ name: 'y', columns: ['score'] }] };

function rejectsWith(json: unknown, message: RegExp): void {
  assert.throws(() => parseManifest(json as never, '/tmp/m.json'), (error: unknown) => {
    assert.ok(error instanceof BatchInferError);
    assert.equal(error.code, 'MANIFEST_INVALID');
    assert.match(error.message, message);
    return true;
  });
}

describe('parseManifest', () => {
  it('resolves model paths relative to the manifest and applies defaults', () => {
    const manifest = parseManifest({ passthrough: ['id'], models: [model] } as never, '/data/models/m.json');
    assert.equal(manifest.models[0]!.path, '/data/models/m.onnx');
    assert.equal(manifest.models[0]!.inputs[0]!.type, 'float32');
    assert.equal(manifest.models[0]!.name, 'model0');
    assert.deepEqual(manifest.passthrough, ['id']);
  });

  it("reads a model's remote mapping of server names and datatypes, and an output's written type", () => {
    const remote = { name: 'clf', inputs: { x: 'input-0' }, outputs: { y: { name: 'predict_proba', datatype: 'FP64' } } };
    const manifest = parseManifest({ models: [{ ...model, outputs: [{ name: 'y', columns: ['score'], type: 'float32' }], remote }] } as never, '/tmp/m.json');
    assert.deepEqual(manifest.models[0]!.remote, { name: 'clf', inputs: { x: 'input-0' }, outputs: { y: { name: 'predict_proba', datatype: 'FP64' } } });
    assert.equal(manifest.models[0]!.outputs![0]!.type, 'float32');
    const short = parseManifest({ models: [{ ...model, remote: { outputs: { y: 'proba' } } }] } as never, '/tmp/m.json');
    assert.deepEqual(short.models[0]!.remote, { name: undefined, inputs: {}, outputs: { y: { name: 'proba', datatype: undefined } } });
  });

  it('names the key of every bad value in a remote mapping', () => {
    rejectsWith({ models: [{ ...model, remote: { inputs: { z: 'input-0' } } }] }, /^manifest \/tmp\/m\.json: \$\.models\[0\]\.remote\.inputs\.z: 'z' is not one of this model's inputs \(x\)$/);
    rejectsWith({ models: [{ ...model, remote: { outputs: { y: { name: 'p', datatype: 'FP65' } } } }] }, /\$\.models\[0\]\.remote\.outputs\.y\.datatype: 'FP65' is not supported \(expected one of BOOL, .*FP64, BYTES\)$/);
    rejectsWith({ models: [{ ...model, remote: { outputs: { y: 3 } } }] }, /\$\.models\[0\]\.remote\.outputs\.y: must be an object$/);
    rejectsWith({ models: [{ ...model, remote: { modelName: 'clf' } }] }, /\$\.models\[0\]\.remote: unknown key 'modelName' \(expected one of name, inputs, outputs\)$/);
    rejectsWith({ models: [{ ...model, outputs: [{ name: 'y', columns: ['s'], type: 'float16' }] }] }, /\$\.models\[0\]\.outputs\[0\]\.type: 'float16' is not supported/);
  });

  it("reads a model's engine and names a bad one", () => {
    const manifest = parseManifest({ models: [{ ...model, engine: 'compiled' }, { ...model, name: 'b', outputs: [{ name: 'y', columns: ['other'] }] }] } as never, '/data/m.json');
    assert.deepEqual(manifest.models.map((m) => m.engine), ['compiled', undefined]);
    rejectsWith({ models: [{ ...model, engine: 'fast' }] }, /\$\.models\[0\]\.engine: must be 'auto', 'onnxruntime' or 'compiled', got 'fast'/);
  });

  it('names the JSON location of every bad value', () => {
    rejectsWith({ models: [] }, /\$\.models: must list at least one model/);
    rejectsWith({ models: [{ ...model, inputs: [{ name: 'x', columns: [] }] }] }, /\$\.models\[0\]\.inputs\[0\]\.columns: must name at least one column/);
    rejectsWith({ models: [{ ...model, inputs: [{ name: 'x', type: 'float16', columns: ['a'] }] }] }, /inputs\[0\]\.type: 'float16' is not supported/);
    rejectsWith({ models: [{ ...model, outputs: [{ name: 'y', columns: ['s', 's'] }] }] }, /outputs\[0\]\.columns\[1\]: 's' is listed twice/);
    rejectsWith({ models: [{ ...model, threshold: { column: 'nope', above: 1, flag: 'f' } }] }, /threshold\.column: 'nope' is not one of this model's output columns/);
    rejectsWith({ models: [model], extra: 1 }, /unknown key 'extra'/);
    rejectsWith({ passthrough: ['score'], models: [model] }, /output column 'score' is written twice/);
    rejectsWith({ models: [model], run: { chunkSize: 0 } }, /\$\.run\.chunkSize: must be a positive integer/);
  });

  it('refuses a fill the input type cannot hold', () => {
    const withFill = (type: string, fill: number) => ({ models: [{ ...model, inputs: [{ name: 'x', type, columns: ['a'], fill }] }] });
    rejectsWith(withFill('float32', 1e39), /inputs\[0\]\.fill: 1e\+39 is out of float32 range/);
    rejectsWith(withFill('int64', 0.5), /inputs\[0\]\.fill: must be an integer of at most 2\^53 in magnitude for an int64 input, got 0\.5/);
    rejectsWith(withFill('int32', 2147483648), /inputs\[0\]\.fill: must be an int32 integer, got 2147483648/);
    for (const [type, fill] of [['float32', -3.4e38], ['float64', 1e39], ['int64', -9007199254740991], ['int32', -2147483648]] as const) {
      assert.equal(parseManifest(withFill(type, fill) as never, '/tmp/m.json').models[0]!.inputs[0]!.fill, fill);
    }
  });
});
