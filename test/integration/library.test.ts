import assert from 'node:assert/strict';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
// The built package entry (dist/src/index.js), as a service would import it.
import * as library from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { MemorySink } from '../helpers/memory-sink.js';
import { MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';

const MANIFEST = join(MODELS, 'autoencoder.manifest.json');
const ROWS = readFileSync(SNAPSHOT, 'utf8').trimEnd().split('\n').length - 1;

describe('library entry: one started pool, several snapshots', () => {
  let handle: library.PoolHandle;
  before(async () => {
    handle = await library.startPool(library.loadManifest(MANIFEST), 2, 'thread');
  });
  after(async () => {
    await handle.pool.destroy();
  });

  it("is what the package's exports map resolves", async () => {
    const name = 'batch-infer';
    assert.equal(await import(name), library);
  });

  it('scores a file and then a stream through one pool, each byte-identical to what run writes', async (t) => {
    const expected = join(tempDir(t), 'run.csv');
    const run = runCli(['run', SNAPSHOT, '-m', MANIFEST, '-o', expected, '-q']);
    assert.equal(run.code, 0, run.stderr);
    const inputs: library.InputRequest[] = [
      { path: SNAPSHOT, format: undefined },
      // A request body: any async iterable of bytes, here a Readable.
      { path: 'request body', format: 'csv', source: createReadStream(SNAPSHOT, { highWaterMark: 64 * 1024 }) },
    ];
    for (const input of inputs) {
      const output = new MemorySink();
      const timing = await library.scoreSnapshot(handle, library.snapshotOptions(handle.pool.workers, { input, output }));
      assert.equal(timing.rows, ROWS, input.path);
      assert.equal(timing.rowsOut, ROWS, input.path);
      assert.ok(output.isCommitted);
      assert.ok(Buffer.concat(output.parts).equals(readFileSync(expected)), `${input.path}: differs from run's output`);
    }
  });

  it('reports bad input as a BatchInferError and keeps the pool usable', async () => {
    const output = new MemorySink();
    const bad = { path: 'bad.csv', format: 'csv' as const, source: [Buffer.from('a,b\n1,2\n')] };
    await assert.rejects(library.scoreSnapshot(handle, library.snapshotOptions(2, { input: bad, output })), (error: unknown) => {
      assert.ok(error instanceof library.BatchInferError);
      assert.match(error.message, /bad\.csv.*'tps'/);
      assert.equal(error.code, 'INPUT_HEADER');
      assert.equal(error.exitCode, library.ExitCode.data);
      return true;
    });
    assert.equal(output.isCommitted, false);
    const again = new MemorySink();
    const timing = await library.scoreSnapshot(handle, library.snapshotOptions(2, { input: { path: SNAPSHOT, format: undefined }, output: again }));
    assert.equal(timing.rows, ROWS);
  });
});
