import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exitStatusOf } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { readCsv } from '../helpers/golden.js';
import { MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';

const AE = join(MODELS, 'autoencoder.manifest.json');
const inputRows = readCsv(readFileSync(SNAPSHOT, 'utf8'));

/** Runs the fixture in chunks of 500 rows with a fault injected; returns what came out. */
function runWithFault(t: { after: (fn: () => void) => void }, fault: string, extra: string[] = []) {
  const dir = tempDir(t);
  const files = { out: join(dir, 'out.csv'), rejects: join(dir, 'rejects.csv'), timing: join(dir, 't.json') };
  const result = runCli(['run', SNAPSHOT, '-m', AE, '-c', '500', '-o', files.out, '--rejects', files.rejects, '--timing-json', files.timing, '-q', ...extra], {
    env: { BATCH_INFER_FAULT: fault },
  });
  // Without its timing file the run failed outright: say how, rather than only that a file is missing.
  assert.ok(existsSync(files.timing), `no timing JSON; exit ${String(result.code)}, signal ${String(result.signal)}, stderr: ${result.stderr}`);
  const timing = JSON.parse(readFileSync(files.timing, 'utf8')) as Record<string, number>;
  const out = readCsv(readFileSync(files.out, 'utf8'));
  const rejects = readCsv(readFileSync(files.rejects, 'utf8'));
  return { result, timing, out, rejects };
}

/** No row lost, none written twice, order kept: outputs and rejects together are the input, once each. */
function assertEveryRowOnce(out: Record<string, string>[], rejects: Record<string, string>[]): void {
  assert.equal(out.length + rejects.length, inputRows.length);
  const rejectedLines = new Set(rejects.map((r) => Number(r.line)));
  assert.equal(rejectedLines.size, rejects.length, 'no row rejected twice');
  const expected = inputRows.filter((_, i) => !rejectedLines.has(i + 2));
  assert.deepEqual(
    out.map((r) => `${r.minute}|${r.target_id}|${r.transaction}`),
    expected.map((r) => `${r.minute}|${r.target_id}|${r.transaction}`),
  );
}

describe('worker faults (injected with BATCH_INFER_FAULT)', () => {
  for (const kind of ['throw', 'exit', 'hang']) {
    it(`a worker that fails once (${kind}) is replaced and its chunk retried: nothing lost, exit 0`, (t) => {
      const { result, timing, out, rejects } = runWithFault(t, `${kind}@3x1`, ['--chunk-timeout', '5s']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(timing.retries, 1);
      assert.equal(rejects.length, 0);
      assertEveryRowOnce(out, rejects);
    });
  }

  it('a chunk that fails on every try becomes rejects with the reason (exit 1), the rest is scored', (t) => {
    const { result, timing, out, rejects } = runWithFault(t, 'exit@3', ['--retries', '1']);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(timing.chunksFailed, 1);
    assert.equal(rejects.length, 500);
    assert.deepEqual(rejects.map((r) => Number(r.line)), Array.from({ length: 500 }, (_, i) => 1502 + i));
    assert.match(rejects[0]!.reason!, /worker failed on 2 tries: worker exited \(code 7\)/);
    assertEveryRowOnce(out, rejects);
  });

  it('a hanging chunk is abandoned at --chunk-timeout', (t) => {
    const { result, rejects, out } = runWithFault(t, 'hang@1', ['--retries', '0', '--chunk-timeout', '1s']);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(rejects.length, 500);
    assert.match(rejects[0]!.reason!, /no result within the chunk timeout \(1000 ms\)/);
    assertEveryRowOnce(out, rejects);
  });

  for (const kind of ['kill', 'abort', 'exit']) {
    it(`with --isolation process, a worker process that dies (${kind}) is replaced and the chunk retried`, (t) => {
      const { result, timing, out, rejects } = runWithFault(t, `${kind}@2x1`, ['--isolation', 'process', '-w', '2']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(timing.retries, 1);
      assertEveryRowOnce(out, rejects);
    });
  }

  it('a model that fails to load stops the run before any row, naming the model (also with process isolation)', (t) => {
    const dir = tempDir(t);
    const manifest = join(dir, 'm.json');
    const broken = join(dir, 'broken.onnx');
    writeFileSync(broken, 'not onnx');
    writeFileSync(manifest, JSON.stringify({ models: [{ path: 'broken.onnx', inputs: [{ name: 'x', columns: ['tps'] }], outputs: [{ name: 'y', columns: ['y'] }] }] }));
    for (const isolation of ['thread', 'process']) {
      const result = runCli(['run', SNAPSHOT, '-m', manifest, '--isolation', isolation, '-o', join(dir, 'out.csv')]);
      assert.equal(result.code, exitStatusOf('MODEL_LOAD'), result.stderr);
      assert.match(result.stderr, /broken\.onnx: cannot load/);
      assert.equal(result.stderr.trim().split('\n').length, 1);
    }
  });
});
