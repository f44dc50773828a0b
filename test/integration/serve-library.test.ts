import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadManifest, serveSettings, startServer } from '../../src/index.js';
import { MODELS, SNAPSHOT } from '../helpers/paths.js';
import { post } from '../helpers/serve-process.js';

describe('serve embedded through the library entry', () => {
  it('starts on a free port, scores a snapshot with every row accounted for, and closes with no pool left', async () => {
    const manifest = loadManifest(join(MODELS, 'autoencoder.manifest.json'));
    const server = await startServer(serveSettings(manifest, { port: 0, workers: 1 }));
    try {
      await server.ready;
      const answer = await post(server.url, readFileSync(SNAPSHOT));
      assert.equal(answer.status, 200, answer.body.toString());
      assert.equal(answer.headers['x-rows-in'], '5000');
      assert.equal(answer.body.toString().trimEnd().split('\n').length, 5001);
      assert.match(answer.body.toString(), /^minute,target_id,transaction,ae_score,ae_anomaly\n/);
    } finally {
      await server.close(1000);
    }
    assert.equal(server.server.listening, false);
  });
});
