import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exitStatusOf } from '../../src/errors.js';
import { MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';
import { startCli } from '../helpers/spawn.js';

describe('an --endpoint that is not an Open Inference Protocol server', () => {
  it('answering 200 with an HTML page everywhere: one line naming the URL and what came back', async (t) => {
    const server = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<html><body><h1>Welcome</h1> ${request.url}</body></html>`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const run = startCli(['run', SNAPSHOT, '-m', join(MODELS, 'autoencoder.manifest.json'), '--endpoint', url, '-o', join(tempDir(t), 'out.csv')]);
    const result = await run.done;
    // Something answers, but not as the manifest's server would: fix the --endpoint (config), no use retrying.
    assert.equal(result.code, exitStatusOf('REMOTE_MISMATCH'), result.stderr);
    assert.equal(
      result.stderr,
      `batch-infer: --endpoint ${url}: GET /v2: the answer is not a JSON object (text/html: '<html><body><h1>Welcome</h1> /v2</body></html>'); is this an Open Inference Protocol (KServe V2) server?\n`,
    );
  });
});
