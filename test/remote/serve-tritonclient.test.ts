import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MODELS, ROOT } from '../helpers/paths.js';
import { post, startServe, waitFor } from '../helpers/serve-process.js';

const PYTHON = join(ROOT, '.venv', 'tritonclient', 'bin', 'python');
const skip = existsSync(PYTHON) ? false : 'no .venv/tritonclient: run test/remote/tritonclient/setup-venv.sh';

describe('batch-infer serve with the official tritonclient (HTTP)', { skip }, () => {
  it('answers readiness, metadata and binary and JSON inference as the server itself computes them', async (t) => {
    const serve = await startServe(['-m', join(MODELS, 'manifest.json'), '--workers', '1']);
    t.after(() => serve.child.kill('SIGKILL'));
    await waitFor(() => /ready/.test(serve.stderr()), 60_000);
    const run = spawnSync(PYTHON, [join(ROOT, 'test/remote/tritonclient/infer.py'), serve.url.replace('http://', '')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    const seen = JSON.parse(run.stdout) as { live: boolean; ready: boolean; modelReady: boolean; inputs: { name: string; datatype: string; shape: number[] }[]; answers: { binary: number[][]; json: number[][] } };
    assert.deepEqual([seen.live, seen.ready, seen.modelReady], [true, true, true]);
    assert.deepEqual(seen.inputs, [{ name: 'metrics', datatype: 'FP32', shape: [-1, 14] }]);
    // The same rows through the server's JSON path from Node: the client's answers must be these numbers.
    const rows = Array.from({ length: 3 }, (_, r) => Array.from({ length: 14 }, (_, c) => Math.fround((r * 14 + c) / 10)));
    const direct = await post(serve.url, JSON.stringify({ inputs: [{ name: 'metrics', datatype: 'FP32', shape: [3, 14], data: rows }], outputs: [{ name: 'reconstruction_error' }] }), {}, '/v2/models/autoencoder/infer');
    const wanted = (JSON.parse(direct.body.toString()) as { outputs: { data: number[] }[] }).outputs[0]!.data;
    assert.deepEqual(seen.answers.binary.flat(), wanted);
    assert.deepEqual(seen.answers.json.flat(), wanted);
    serve.child.kill('SIGTERM');
    assert.equal((await serve.done).code, 0);
  });
});
