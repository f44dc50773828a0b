import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exitStatusOf, type ErrorCode } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';

const AE = join(MODELS, 'autoencoder.manifest.json');

/** Refused with one line and the exit status of `error`: USAGE for flags and variables, CONFIG_INVALID for --config. */
function assertRefused(result: ReturnType<typeof runCli>, error: ErrorCode, message: string): void {
  assert.equal(result.code, exitStatusOf(error), result.stderr);
  assert.equal(result.stderr, `batch-infer: ${message}\n`);
  assert.equal(result.stdout, '');
}

describe('options a command does not take are refused, not ignored', () => {
  it('replay refuses BATCH_INFER_ENDPOINT, BATCH_INFER_DEADLINE and BATCH_INFER_COMPARE before scoring anything', (t) => {
    const out = join(tempDir(t), 'out');
    for (const [variable, flag] of [['BATCH_INFER_ENDPOINT', '--endpoint'], ['BATCH_INFER_DEADLINE', '--deadline'], ['BATCH_INFER_COMPARE', '--compare']]) {
      const result = runCli(['replay', SNAPSHOT, '-m', AE, '--out-dir', out], { env: { [variable!]: '1' } });
      assertRefused(result, 'USAGE', `${variable} is set, but replay does not take ${flag}`);
    }
    assert.equal(existsSync(out), false, 'nothing written');
  });

  it('bench refuses BATCH_INFER_CHUNK_SIZE (run and replay take it, bench sweeps --chunk-sizes)', () => {
    assertRefused(runCli(['bench', '--rows', '100', '-m', AE], { env: { BATCH_INFER_CHUNK_SIZE: '500' } }), 'USAGE', 'BATCH_INFER_CHUNK_SIZE is set, but bench does not take --chunk-size');
  });

  it('replay and bench refuse a --config key they do not take, naming the file and the key', (t) => {
    const dir = tempDir(t);
    const config = join(dir, 'c.json');
    writeFileSync(config, JSON.stringify({ deadline: '50s' }));
    assertRefused(runCli(['replay', SNAPSHOT, '-m', AE, '--out-dir', join(dir, 'out'), '--config', config]), 'CONFIG_INVALID', `--config ${config} sets 'deadline', but replay does not take --deadline`);
    writeFileSync(config, JSON.stringify({ 'timing-json': 't.json' }));
    assertRefused(runCli(['bench', '--rows', '100', '-m', AE, '--config', config]), 'CONFIG_INVALID', `--config ${config} sets 'timing-json', but bench does not take --timing-json`);
  });

  it('replay has no --endpoint flag', (t) => {
    const result = runCli(['replay', SNAPSHOT, '-m', AE, '--out-dir', join(tempDir(t), 'out'), '--endpoint', 'http://127.0.0.1:1']);
    assertRefused(result, 'USAGE', "unknown option '--endpoint'");
  });
});

describe('every scoring command reads flags, BATCH_INFER_* and --config the same way', () => {
  it('bench --print-config shows values from the environment and the config file, flags first', (t) => {
    const config = join(tempDir(t), 'c.json');
    writeFileSync(config, JSON.stringify({ repeats: 5, 'chunk-sizes': '500,1000', workers: '1' }));
    const result = runCli(['bench', '--rows', '100', '--config', config, '--workers', '2', '--print-config'], { env: { BATCH_INFER_MANIFEST: AE, BATCH_INFER_REPEATS: '4' } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^--repeats\s+4\s+\[env BATCH_INFER_REPEATS\]$/m);
    assert.match(result.stdout, /^--chunk-sizes\s+\[500,1000\]\s+\[config .*c\.json\]$/m);
    assert.match(result.stdout, /^--workers\s+\[2\]\s+\[flag\]$/m);
    assert.equal(result.stderr, '');
  });

  it('generate reads flags only: a BATCH_INFER_ROWS set for bench does not change it', () => {
    const result = runCli(['generate', '--rows', '3'], { env: { BATCH_INFER_ROWS: 'not a number', BATCH_INFER_SEED: '7' } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trimEnd().split('\n').length, 4);
  });
});

describe('the worker count is bounded', () => {
  const limit = Math.max(16, 4 * availableParallelism());
  const cores = availableParallelism();
  it('refuses more than 4 workers per core (at least 16) from a flag, a variable, bench and the manifest, before any pool starts', (t) => {
    const message = (label: string, count: number): string => `${label} ${count} is more than ${limit} (4 per core and at least 16; ${cores} cores here): each worker loads every model`;
    assertRefused(runCli(['run', SNAPSHOT, '-m', AE, '--workers', '1000']), 'USAGE', message('--workers', 1000));
    assertRefused(runCli(['run', SNAPSHOT, '-m', AE], { env: { BATCH_INFER_WORKERS: String(limit + 1) } }), 'USAGE', message('BATCH_INFER_WORKERS', limit + 1));
    assertRefused(runCli(['bench', '--rows', '100', '-m', AE, '-w', `1,${limit + 1}`]), 'USAGE', message('--workers', limit + 1));
    const manifest = join(tempDir(t), 'm.json');
    writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(AE, 'utf8')), run: { workers: limit + 1 } }).replaceAll('"path":"', `"path":"${MODELS}/`));
    assertRefused(runCli(['run', SNAPSHOT, '-m', manifest]), 'MANIFEST_INVALID', message(`${manifest}: $.run.workers`, limit + 1));
  });

  it('takes exactly the limit', () => {
    const result = runCli(['run', SNAPSHOT, '-m', AE, '--workers', String(limit), '-q', '-o', '/dev/null']);
    assert.equal(result.code, 0, result.stderr);
  });
});
