import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { BIN, MODELS, ROOT, SNAPSHOT, tempDir } from '../helpers/paths.js';
import { findRayServeSkipReason, readReplicaStates, startRayCluster, stopRayServe, type RayServe } from '../helpers/ray-serve.js';
import { startCli, waitFor } from '../helpers/spawn.js';

const ALL = join(MODELS, 'manifest.json');
const AE = join(MODELS, 'autoencoder.manifest.json');
const HEAD_IP = '127.0.0.2';
const NODE_B_IP = '127.0.0.3';

describe('scoring on a two-node Ray cluster (serve/start-cluster.sh: two nodes on this machine)', { skip: findRayServeSkipReason() ?? false }, () => {
  let server: RayServe | undefined;
  before(() => {
    server = startRayCluster(2);
  }, { timeout: 600_000 });
  // Runs after a failed test too: stop-cluster.sh ends both nodes' sessions and removes their temp dirs.
  after(() => {
    if (server !== undefined) stopRayServe(server);
  });

  it('spreads the replicas over both nodes, one on each', () => {
    const replicas = readReplicaStates(server!);
    assert.equal(replicas.status, 'RUNNING');
    assert.deepEqual(replicas.nodes, { [HEAD_IP]: 1, [NODE_B_IP]: 1 });
  });

  it('writes byte-identical predictions to local scoring, for every model', () => {
    const remote = runCli(['run', SNAPSHOT, '-m', ALL, '--endpoint', server!.url, '-c', '700', '-q']);
    // The app scores with onnxruntime: byte for byte, local scoring must too (the compiled tree engine agrees with
    // it within a float32 tolerance, not always to the last digit).
    const local = runCli(['run', SNAPSHOT, '-m', ALL, '-c', '700', '-q', '--engine', 'onnxruntime']);
    assert.equal(remote.code, 0, remote.stderr);
    assert.equal(local.code, 0, local.stderr);
    assert.ok(remote.stdout.length > 0);
    assert.equal(remote.stdout, local.stdout);
  });

  it('loses and duplicates no row when node B dies mid-run (exit 0, output identical to local), and then reports 1 running replica', async (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'in.csv');
    const rows = 1_000_000;
    spawnSync(process.execPath, [BIN, 'generate', '--rows', String(rows), '-o', input]);
    const out = join(dir, 'remote.csv');
    const rejects = join(dir, 'rejects.csv');
    const run = startCli(['run', input, '-m', AE, '--endpoint', server!.url, '-o', out, '--rejects', rejects, '--log-format', 'json', '--retries', '5']);
    let isDone = false;
    void run.done.then(() => (isDone = true));
    await waitFor(() => run.stderr().includes('"event":"bound"'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(isDone, false, 'the run is still going when node B dies');
    const killed = spawnSync('bash', [join(ROOT, 'serve', 'stop-cluster.sh'), String(server!.port), 'node-b'], { encoding: 'utf8' });
    assert.equal(killed.status, 0, killed.stderr);
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr.slice(-1000));
    const scored = readFileSync(out, 'utf8');
    const rejected = readFileSync(rejects, 'utf8').trim().split('\n').length - 1;
    assert.equal(scored.trim().split('\n').length - 1 + rejected, rows, 'rows in = rows out + rejects');
    assert.equal(rejected, 0);
    const localOut = join(dir, 'local.csv');
    assert.equal(runCli(['run', input, '-m', AE, '-q', '-o', localOut]).code, 0);
    assert.ok(scored === readFileSync(localOut, 'utf8'), 'the remote output is byte-identical to the local one');
    // Node B's replica cannot come back (no CPU left for it): the metadata counts the one that runs, not the 2 configured.
    let reported = 0;
    for (let i = 0; i < 20 && reported !== 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const metadata = (await (await fetch(`${server!.url}/v2/models/autoencoder`)).json()) as { parameters: { replicas: number } };
      reported = metadata.parameters.replicas;
    }
    assert.equal(reported, 1);
    assert.deepEqual(readReplicaStates(server!).nodes, { [HEAD_IP]: 1 });
  });
});
