import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exitStatusOf } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { MODELS, SNAPSHOT } from '../helpers/paths.js';
import { findRayServeSkipReason, startRayServe, stopRayServe, type RayServe } from '../helpers/ray-serve.js';

const AE = join(MODELS, 'autoencoder.manifest.json');
const TOKEN_ENV = 'BATCH_INFER_TEST_SERVE_TOKEN';
const TOKEN = `t-${process.pid}-${Date.now()}`;

describe('the Ray Serve app with a bearer token and the shipped autoscaling config', { skip: findRayServeSkipReason() ?? false }, () => {
  let server: RayServe | undefined;
  let url = '';
  before(() => {
    // No replica count: start-local.sh keeps serve-config.yaml's autoscaling_config.
    server = startRayServe('auto', { BATCH_INFER_SERVE_TOKEN_ENV: TOKEN_ENV, [TOKEN_ENV]: TOKEN });
    url = server.url;
  }, { timeout: 600_000 });
  after(() => {
    if (server !== undefined) stopRayServe(server);
  });

  it('answers the health routes without a token, for probes', async () => {
    for (const path of ['/v2/health/live', '/v2/health/ready']) assert.equal((await fetch(`${url}${path}`)).status, 200, path);
  });

  it('refuses every other route without the token or with a wrong one: 401 with a JSON error', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      for (const path of ['/v2', '/v2/models', '/v2/models/autoencoder', '/v2/models/autoencoder/ready']) {
        const response = await fetch(`${url}${path}`, { headers: authorization === undefined ? {} : { authorization } });
        assert.equal(response.status, 401, `${path} with ${authorization}`);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer');
        assert.match(((await response.json()) as { error: string }).error, /bearer token/);
      }
    }
    const infer = await fetch(`${url}/v2/models/autoencoder/infer`, { method: 'POST', body: '{}' });
    assert.equal(infer.status, 401);
  });

  it('reports the autoscaling bounds and the running replica count in the metadata', async () => {
    const response = await fetch(`${url}/v2/models/autoencoder`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(response.status, 200);
    const { parameters } = (await response.json()) as { parameters: Record<string, number> };
    assert.equal(parameters.min_replicas, 1);
    assert.equal(parameters.max_replicas, 4);
    assert.ok(parameters.replicas! >= 1 && parameters.replicas! <= 4, `replicas ${parameters.replicas}`);
  });

  it('scores with run --token-env, and the same rows as local scoring', () => {
    const remote = runCli(['run', SNAPSHOT, '-m', AE, '--endpoint', url, '--token-env', TOKEN_ENV, '-q'], { env: { [TOKEN_ENV]: TOKEN } });
    assert.equal(remote.code, 0, remote.stderr);
    const local = runCli(['run', SNAPSHOT, '-m', AE, '-q']);
    assert.equal(remote.stdout, local.stdout);
  });

  it('stops a run without the token at the metadata check: exit 78, a one-line message naming HTTP 401', () => {
    const refused = runCli(['run', SNAPSHOT, '-m', AE, '--endpoint', url, '--token-env', 'BATCH_INFER_TEST_NO_SUCH_TOKEN', '-q']);
    assert.equal(refused.code, exitStatusOf('REMOTE_MISMATCH'), refused.stderr);
    assert.match(refused.stderr, /HTTP 401/);
    assert.equal(refused.stderr.trim().split('\n').length, 1);
  });
});
