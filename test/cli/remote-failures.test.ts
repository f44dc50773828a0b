import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exitStatusOf } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { BIN, MODELS, SNAPSHOT } from '../helpers/paths.js';

const AE = join(MODELS, 'autoencoder.manifest.json');

// These need no Ray cluster (a closed port, a fake server): they run with the CLI tests, not in test:remote.
describe('remote failures without a cluster', () => {
  it('a server that is not there gives a clear error within the timeout, exit 69 (unavailable)', async () => {
    const { createServer } = await import('node:net');
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const started = Date.now();
    const result = runCli(['run', SNAPSHOT, '-m', AE, '--endpoint', `http://127.0.0.1:${port}`, '--retries', '2', '--request-timeout', '2s']);
    assert.equal(result.code, exitStatusOf('REMOTE_UNAVAILABLE'), result.stderr);
    assert.match(result.stderr, new RegExp(`--endpoint http://127\\.0\\.0\\.1:${port}: /v2/health/ready: ECONNREFUSED after 3 tries`));
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.ok(Date.now() - started < 20_000);
  });

  it('sends the bearer token from the environment and never prints it', async () => {
    const { createServer } = await import('node:http');
    const seen: (string | undefined)[] = [];
    const fake = createServer((request, response): void => {
      seen.push(request.headers.authorization);
      response.setHeader('Content-Type', 'application/json');
      if (request.url === '/v2/health/ready') {
        response.end('{}');
      } else if (request.url === '/v2') {
        response.end('{"extensions":[]}');
      } else if (request.url === '/v2/models/autoencoder') {
        response.end(JSON.stringify({ inputs: [{ name: 'metrics', datatype: 'FP32', shape: [-1, 14] }], outputs: [{ name: 'reconstruction_error', datatype: 'FP32', shape: [-1, 1] }] }));
      } else {
        response.statusCode = 400;
        response.end('{"error":"this fake server scores nothing"}');
      }
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const port = (fake.address() as { port: number }).port;
    try {
      const secret = 's3cret-token-value';
      const { promisify } = await import('node:util');
      const { execFile } = await import('node:child_process');
      const args = [BIN, 'run', SNAPSHOT, '-m', AE, '--endpoint', `http://127.0.0.1:${port}`, '--debug', '--max-rejects', '100%'];
      const run = await promisify(execFile)(process.execPath, args, { env: { ...process.env, BATCH_INFER_TOKEN: secret }, maxBuffer: 64 << 20 }).catch((error: { code: number; stdout: string; stderr: string }) => error);
      assert.equal((run as { code?: number }).code, exitStatusOf('REMOTE_UNAVAILABLE'), 'every chunk refused by the server: the run fails');
      assert.ok(seen.length >= 3);
      assert.ok(seen.every((header) => header === `Bearer ${secret}`), JSON.stringify(seen));
      assert.doesNotMatch(`${run.stdout}${run.stderr}`, new RegExp(secret));
    } finally {
      fake.close();
    }
  });
});
