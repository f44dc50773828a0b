import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findMlserverSkipReason, makeMlserverModel, startMlserver, stopMlserver, type Mlserver } from '../helpers/mlserver.js';
import { tempDir } from '../helpers/paths.js';
import { startCli } from '../helpers/spawn.js';

describe('scoring on MLServer (mlserver-sklearn), a third-party Open Inference Protocol server', { skip: findMlserverSkipReason() ?? false }, () => {
  let dir = '';
  let server: Mlserver | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'batch-infer-mlserver-'));
    makeMlserverModel(dir);
    server = await startMlserver(dir);
  }, { timeout: 600_000 });
  after(async () => {
    if (server !== undefined) await stopMlserver(server);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it("writes the scikit-learn model's FP64 answers byte for byte as its ONNX export scored locally, with one manifest", async (t) => {
    const out = tempDir(t);
    const manifest = join(dir, 'manifest.json');
    const rows = join(dir, 'rows.csv');
    const local = await startCli(['run', rows, '-m', manifest, '-o', join(out, 'local.csv'), '-q']).done;
    assert.equal(local.code, 0, local.stderr);
    const timingFile = join(out, 'timing.json');
    const remote = await startCli(['run', rows, '-m', manifest, '--endpoint', server!.url, '-o', join(out, 'remote.csv'), '--timing-json', timingFile, '--concurrency', '4', '-q']).done;
    assert.equal(remote.code, 0, remote.stderr);
    const localText = readFileSync(join(out, 'local.csv'), 'utf8');
    assert.equal(localText.split('\n').length - 2, 20000, 'every row scored');
    assert.ok(readFileSync(join(out, 'remote.csv'), 'utf8') === localText, 'remote and local outputs are byte-identical');
    const timing = JSON.parse(readFileSync(timingFile, 'utf8')) as Record<string, number>;
    assert.ok(timing.requests! > 0 && timing.rowsRejected === 0);
  });

  it('passes --compare: the remote run against the manifest\'s ONNX model scored locally in the main thread', async (t) => {
    const timingFile = join(tempDir(t), 'timing.json');
    const run = await startCli(['run', join(dir, 'rows.csv'), '-m', join(dir, 'manifest.json'), '--endpoint', server!.url, '--compare', '-o', '/dev/null', '--timing-json', timingFile, '-q']).done;
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(readFileSync(timingFile, 'utf8')) as { identical?: boolean }).identical, true);
  });
});
