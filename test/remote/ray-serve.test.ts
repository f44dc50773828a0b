import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCode, exitStatusOf } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { readCsv } from '../helpers/golden.js';
import { BIN, MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';
import { findRayServeSkipReason, startRayServe, stopRayServe, type RayServe } from '../helpers/ray-serve.js';
import { startCli, waitFor } from '../helpers/spawn.js';

const ALL = join(MODELS, 'manifest.json');
const AE = join(MODELS, 'autoencoder.manifest.json');

function assertClose(remote: Record<string, string>[], local: Record<string, string>[], tolerance: number): void {
  assert.equal(remote.length, local.length);
  remote.forEach((row, i) => {
    for (const [key, value] of Object.entries(row)) {
      const wanted = local[i]![key]!;
      if (['minute', 'target_id', 'transaction'].includes(key)) assert.equal(value, wanted, `row ${i} ${key}`);
      else assert.ok(Math.abs(Number(value) - Number(wanted)) <= tolerance * Math.max(Math.abs(Number(wanted)), 1e-30), `row ${i} ${key}: ${value} vs ${wanted}`);
    }
  });
}

describe('scoring on a Ray Serve cluster over the Open Inference Protocol', { skip: findRayServeSkipReason() ?? false }, () => {
  let server: RayServe | undefined;
  let url = '';
  // Starting Ray takes a minute or more: in the hook, never at load, so that loading or skipping the file is free.
  before(() => {
    server = startRayServe(2);
    url = server.url;
  }, { timeout: 900_000 });
  after(() => {
    if (server !== undefined) stopRayServe(server);
  });

  it('gives the same predictions as local scoring (relative error at most 1e-6), for every model', (t) => {
    const timingFile = join(tempDir(t), 't.json');
    const remote = runCli(['run', SNAPSHOT, '-m', ALL, '--endpoint', url, '-c', '700', '--timing-json', timingFile, '-q', '-o', '/dev/null']);
    assert.equal(remote.code, 0, remote.stderr);
    const timing = JSON.parse(readFileSync(timingFile, 'utf8')) as Record<string, number>;
    assert.ok(timing.networkMs! > 0 && timing.serverMs! > 0, 'timing adds network and server time');
    const remoteRows = runCli(['run', SNAPSHOT, '-m', ALL, '--endpoint', url, '-c', '700', '-q']);
    const localRows = runCli(['run', SNAPSHOT, '-m', ALL, '-c', '700', '-q']);
    assertClose(readCsv(remoteRows.stdout), readCsv(localRows.stdout), 1e-6);
  });

  it('refuses a model the server does not serve, and a manifest that does not match its metadata (exit 78, config)', (t) => {
    const dir = tempDir(t);
    const unknown = join(dir, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ models: [{ name: 'no-such-model', path: join(MODELS, 'autoencoder.onnx'), inputs: [{ name: 'metrics', columns: ['tps'] }], outputs: [{ name: 'reconstruction_error', columns: ['s'] }] }] }));
    const missing = runCli(['run', SNAPSHOT, '-m', unknown, '--endpoint', url]);
    assert.equal(missing.code, exitStatusOf('REMOTE_MISMATCH'), missing.stderr);
    assert.match(missing.stderr, /the server has no model 'no-such-model'/);
    const wrongWidth = join(dir, 'wrong.json');
    writeFileSync(wrongWidth, JSON.stringify({ models: [{ name: 'autoencoder', path: join(MODELS, 'autoencoder.onnx'), inputs: [{ name: 'metrics', columns: ['tps', 'cpu_time_ms'] }], outputs: [{ name: 'reconstruction_error', columns: ['s'] }] }] }));
    const mismatch = runCli(['run', SNAPSHOT, '-m', wrongWidth, '--endpoint', url]);
    // MANIFEST_MISMATCH or REMOTE_MISMATCH, by where the width is checked: the table gives both 78.
    assert.equal(mismatch.code, ExitCode.config, mismatch.stderr);
    assert.match(mismatch.stderr, /input 'metrics' takes 14 features, the manifest lists 2 columns/);
    assert.equal(mismatch.stderr.trim().split('\n').length, 1);
  });

  it('loses and duplicates no row when a replica is killed mid-run', async (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'in.csv');
    spawnSync(process.execPath, [BIN, 'generate', '--rows', '60000', '-o', input]);
    const out = join(dir, 'remote.csv');
    const run = startCli(['run', input, '-m', AE, '--endpoint', url, '-c', '500', '-o', out, '--timing-json', join(dir, 't.json'), '--log-format', 'json', '--retries', '4']);
    await waitFor(() => run.stderr().includes('"event":"bound"'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pid = Number((await fetch(`${url}/v2/health/ready`)).headers.get('X-Replica-Pid'));
    assert.ok(pid > 0, 'the server names its replica');
    process.kill(pid, 'SIGKILL');
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr.slice(-1000));
    const local = runCli(['run', input, '-m', AE, '-c', '500', '-q']);
    const remoteRows = readCsv(readFileSync(out, 'utf8'));
    assert.equal(remoteRows.length, 60000);
    assertClose(remoteRows, readCsv(local.stdout), 1e-6);
  });
});
