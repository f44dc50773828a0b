import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import { BatchInferError } from '../../src/errors.js';
import { decideEngine, resolveEngines } from '../../src/model/choose-engine.js';
import type { Manifest, ManifestModel } from '../../src/model/manifest.js';
import { createCaseRandom } from '../helpers/fuzz-settings.js';
import { MODELS, tempDir } from '../helpers/paths.js';
import { makeRandomForest } from '../helpers/random-forest.js';

/** A tree ensemble with post_transform PROBIT, which the engine leaves to onnxruntime. */
function writeProbitForest(dir: string): string {
  const { onnx } = onnxProto;
  const model = onnx.ModelProto.decode(makeRandomForest(createCaseRandom(1, 1)).bytes);
  const attribute = model.graph!.node![0]!.attribute!.find((a) => a.name === 'post_transform')!;
  attribute.s = new TextEncoder().encode('PROBIT');
  const file = join(dir, 'probit.onnx');
  writeFileSync(file, onnx.ModelProto.encode(model).finish());
  return file;
}

function manifestOf(models: Pick<ManifestModel, 'name' | 'path'>[]): Manifest {
  return { source: 'm.json', passthrough: [], run: { chunkSize: undefined, workers: undefined }, models: models.map((m) => ({ ...m, inputs: [], outputs: undefined, thresholds: [], keepsNonFinite: false, remote: undefined })) };
}

describe('engine choice', () => {
  it('auto sends a tree model with an op it cannot run to onnxruntime with one line naming model and op; a model without trees silently', async (t) => {
    const dir = tempDir(t);
    const notices: string[] = [];
    const manifest = manifestOf([{ name: 'probit', path: writeProbitForest(dir) }, { name: 'autoencoder', path: join(MODELS, 'autoencoder.onnx') }]);
    const resolved = await resolveEngines(manifest, 'auto', (message) => notices.push(message));
    assert.deepEqual(resolved.models.map((m) => m.engine), ['onnxruntime', 'onnxruntime']);
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /^model probit: runs on onnxruntime: op TreeEnsemble(Regressor|Classifier) post_transform PROBIT is not supported by the compiled engine$/);
  });

  it('compiled on such a model is a config error naming model and op', async (t) => {
    const model = { name: 'probit', path: writeProbitForest(tempDir(t)) };
    await assert.rejects(decideEngine(model, 'compiled'), (error: unknown) => {
      assert.ok(error instanceof BatchInferError);
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.match(error.message, /^model probit: engine 'compiled' cannot run it: op .*PROBIT/);
      return true;
    });
  });

  it("the manifest's engine overrides --engine", async () => {
    const decision = await decideEngine({ name: 'iforest', path: join(MODELS, 'iforest.onnx'), engine: 'onnxruntime' }, 'compiled');
    assert.deepEqual([decision.engine, decision.reason], ['onnxruntime', 'manifest onnxruntime']);
  });
});
