import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bindPlan } from '../../src/model/bind-plan.js';
import { BatchInferError, exitStatusOf } from '../../src/errors.js';
import { RecordSplitter } from '../../src/input/split-records.js';
import { loadManifest } from '../../src/model/manifest.js';
import { ScoringPool } from '../../src/pool/scoring-pool.js';
import { runSnapshot } from '../../src/snapshot/run-snapshot.js';
import { MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';

const MANIFEST = join(MODELS, 'manifest.json');

describe('ScoringPool', () => {
  it('loads the models once per worker however many chunks it scores', async () => {
    const manifest = loadManifest(MANIFEST);
    const pool = new ScoringPool({ workers: 2, isolation: 'thread', models: manifest.models.map((m) => ({ name: m.name, path: m.path })) });
    try {
      const started = await pool.start();
      assert.equal(started.loadMs.length, 2);
      assert.deepEqual(started.signatures.map((s) => s.name), ['autoencoder', 'iforest', 'latency', 'classifier']);
      const splitter = new RecordSplitter({ format: 'csv', chunkRows: 50, hasHeader: true });
      const chunks = [...splitter.push(readFileSync(SNAPSHOT)), ...splitter.end()];
      const header = Buffer.from(splitter.header!).toString('utf8').split(',');
      const plan = bindPlan(manifest, started.signatures, { inputFormat: 'csv', outputFormat: 'csv', parser: 'fast', batchRows: 1024, header, inputName: 'fixture' });
      const results = await Promise.all(chunks.map((c) => pool.score({ index: c.index, attempt: 0, firstLine: c.firstLine, bytes: c.bytes, plan }, undefined)));
      assert.equal(results.length, 100);
      // A worker loads the models when it starts; a replaced or extra worker would load them again, under a new id.
      const loaded = new Set(started.workerIds);
      assert.equal(loaded.size, 2, `two workers reported ready: ${started.workerIds.join(', ')}`);
      const scoredBy = new Set(results.map((r) => r.workerId));
      assert.deepEqual([...scoredBy].filter((id) => !loaded.has(id)), [], 'every chunk was scored by a worker that loaded the models at start');
      assert.equal(scoredBy.size, 2, 'both workers scored chunks, and no third one did');
      assert.equal(results.reduce((n, r) => n + r.rowsOut, 0), 5000);
    } finally {
      await pool.destroy();
    }
  });

  it('reports a model that fails to load with its path, instead of hanging', async (t) => {
    const dir = tempDir(t);
    const broken = join(dir, 'broken.onnx');
    writeFileSync(broken, 'not a model');
    const pool = new ScoringPool({ workers: 2, isolation: 'thread', models: [{ name: 'broken', path: broken }] });
    try {
      await assert.rejects(pool.start(), (error: unknown) => {
        assert.ok(error instanceof BatchInferError);
        assert.equal(error.code, 'MODEL_LOAD');
        assert.equal(error.exitCode, exitStatusOf('MODEL_LOAD'));
        assert.match(error.message, /broken\.onnx: cannot load/);
        return true;
      });
    } finally {
      await pool.destroy();
    }
  });
});

describe('runSnapshot', () => {
  it('accounts for every row: rows in = rows out + rows rejected', async (t) => {
    const dir = tempDir(t);
    const lines = readFileSync(SNAPSHOT, 'utf8').trimEnd().split('\n');
    for (const at of [5, 50, 500, 4999]) lines[at] = `${lines[at]},extra`;
    const input = join(dir, 'in.csv');
    writeFileSync(input, `${lines.join('\n')}\n`);
    const timing = await runSnapshot({
      input: { path: input, format: undefined },
      outputFormat: 'csv',
      parser: 'fast',
      batchRows: 1024,
      balanceFor: undefined,
      output: join(dir, 'out.csv'),
      rejects: join(dir, 'rejects.csv'),
      manifest: loadManifest(MANIFEST),
      workers: 2,
      isolation: 'thread',
      chunkSize: 333,
      maxInFlight: 3,
      maxRecordBytes: 1 << 20,
      retries: 2,
      chunkTimeoutMs: undefined,
      compare: false,
      warmUp: false,
      deadline: undefined,
      signal: undefined,
      remote: undefined,
    });
    assert.equal(timing.rows, 5000);
    assert.equal(timing.rowsRejected, 4);
    assert.equal(timing.rowsOut, 4996);
    assert.equal(readFileSync(join(dir, 'out.csv'), 'utf8').trimEnd().split('\n').length - 1, 4996);
    assert.equal(readFileSync(join(dir, 'rejects.csv'), 'utf8').trimEnd().split('\n').length - 1, 4);
  });
});
