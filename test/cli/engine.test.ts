/**
 * --engine through the built bin: the compiled tree engine writes the predictions onnxruntime writes (within the
 * engine's tolerance), a model it cannot run is named, and the proof's verdict is cached.
 */

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ENGINE_VERSION, isWithinTolerance } from '../../src/model/compiled/prove-engine.js';
import { FLUSH_VERSION } from '../../src/model/prove-flush.js';
import { ExitCode } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';

const MANIFEST = join(MODELS, 'manifest.json');

/** Cells that differ beyond the tolerance (numbers) or at all (text). */
function differingCells(expected: string, actual: string): string[] {
  const a = expected.trim().split('\n');
  const b = actual.trim().split('\n');
  assert.equal(b.length, a.length);
  const differences: string[] = [];
  a.forEach((line, row) => {
    const x = line.split(',');
    const y = b[row]!.split(',');
    x.forEach((cell, column) => {
      const other = y[column] ?? '';
      const isSame = cell === other || (cell !== '' && other !== '' && isWithinTolerance(Number(other), Number(cell)));
      if (!isSame) differences.push(`line ${row + 1}, column ${column + 1}: ${other}, onnxruntime ${cell}`);
    });
  });
  return differences;
}

describe('--engine', () => {
  it('auto runs the IsolationForest compiled and writes the predictions onnxruntime writes, within the tolerance', (t) => {
    const dir = tempDir(t);
    const env = { BATCH_INFER_CACHE_DIR: join(dir, 'cache') };
    const common = ['run', SNAPSHOT, '--manifest', MANIFEST, '--workers', '2', '--quiet'];
    const reference = runCli([...common, '--engine', 'onnxruntime', '--output', join(dir, 'ort.csv')], { env });
    assert.equal(reference.code, 0, reference.stderr);
    const compiled = runCli(['run', SNAPSHOT, '--manifest', MANIFEST, '--workers', '2', '--no-progress', '--engine', 'auto', '--output', join(dir, 'auto.csv')], { env });
    assert.equal(compiled.code, 0, compiled.stderr);
    // The IsolationForest ran compiled (its proof passed); the autoencoder, without trees, on onnxruntime silently.
    assert.doesNotMatch(compiled.stderr, /runs on onnxruntime/);
    assert.deepEqual(differingCells(readFileSync(join(dir, 'ort.csv'), 'utf8'), readFileSync(join(dir, 'auto.csv'), 'utf8')), []);
    // Under auto only the IsolationForest (fused) and the GBR (walked in WebAssembly) are compiled, and so
    // proved; the classifier stays on onnxruntime: see choose-engine.ts. The IsolationForest's fused forest is
    // cached as a plan too (forest-plan.ts). The autoencoder, left on onnxruntime, has its subnormal weights'
    // flush proved (prove-flush.ts).
    const cached = readdirSync(join(dir, 'cache', 'proofs'));
    const count = (suffix: string) => cached.filter((f) => f.endsWith(suffix)).length;
    assert.deepEqual([count(`-v${ENGINE_VERSION}.json`), count('.plan'), count(`-flush-v${FLUSH_VERSION}.json`)], [2, 1, 1]);
    // The next run loads the plan, and writes the same predictions.
    const again = runCli(['run', SNAPSHOT, '--manifest', MANIFEST, '--workers', '2', '--quiet', '--engine', 'auto', '--output', join(dir, 'again.csv')], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(join(dir, 'again.csv'), 'utf8'), readFileSync(join(dir, 'auto.csv'), 'utf8'));
  });

  for (const name of ['latency', 'classifier']) {
    it(`compiled on the ${name} fixture writes the predictions onnxruntime writes, within the tolerance`, (t) => {
      const dir = tempDir(t);
      const env = { BATCH_INFER_CACHE_DIR: join(dir, 'cache') };
      const common = ['run', SNAPSHOT, '--manifest', join(MODELS, `${name}.manifest.json`), '--workers', '1', '--no-progress'];
      assert.equal(runCli([...common, '--engine', 'onnxruntime', '--output', join(dir, 'ort.csv')], { env }).code, 0);
      const compiled = runCli([...common, '--engine', 'compiled', '--output', join(dir, 'compiled.csv')], { env });
      assert.equal(compiled.code, 0, compiled.stderr);
      assert.doesNotMatch(compiled.stderr, /runs on onnxruntime/);
      assert.deepEqual(differingCells(readFileSync(join(dir, 'ort.csv'), 'utf8'), readFileSync(join(dir, 'compiled.csv'), 'utf8')), []);
    });
  }

  it('compiled on a model it cannot run is a config error naming the model and the op', (t) => {
    const dir = tempDir(t);
    const result = runCli(['run', SNAPSHOT, '--manifest', MANIFEST, '--engine', 'compiled', '--output', join(dir, 'out.csv')]);
    assert.equal(result.code, ExitCode.config);
    assert.match(result.stderr, /model autoencoder: engine 'compiled' cannot run it: op ai\.onnx\.ml\.Scaler is not supported/);
  });

  it('a proof cache that cannot be created (a path under /proc) costs only the cache: the run proves and scores', (t) => {
    const dir = tempDir(t);
    const result = runCli(['run', SNAPSHOT, '--manifest', join(MODELS, 'latency.manifest.json'), '--engine', 'compiled', '-o', join(dir, 'out.csv'), '-q'], {
      env: { BATCH_INFER_CACHE_DIR: '/proc/batch-infer-no-such-dir/cache' },
    });
    assert.equal(result.signal, null, 'the run was stopped by the test timeout: creating the cache spun');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.equal(readFileSync(join(dir, 'out.csv'), 'utf8').trimEnd().split('\n').length, 5001);
  });
});
