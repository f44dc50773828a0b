import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveBenchOptions, resolveReplayOptions, resolveRunOptions } from '../../src/config/options.js';
import { formatExplained, readOptions } from '../../src/config/read-options.js';
import { BatchInferError, exitStatusOf, type ErrorCode } from '../../src/errors.js';
import { MODELS, tempDir } from '../helpers/paths.js';

const AE = join(MODELS, 'autoencoder.manifest.json');

/** `fn` throws one line with `code`, and so the status the exit-code table gives it. */
function throwsRefusal(fn: () => unknown, code: ErrorCode, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof BatchInferError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.exitCode, exitStatusOf(code));
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

function writeJson(dir: string, name: string, json: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(json));
  return file;
}

describe('readOptions: flags, BATCH_INFER_* and --config, layered and parsed', () => {
  it('takes each value from the flag, else the environment, else the config file, else the default', (t) => {
    const config = writeJson(tempDir(t), 'c.json', { workers: 3, chunkSize: 300, batchRows: 30, 'max-in-flight': 9 });
    const env = { BATCH_INFER_WORKERS: '2', BATCH_INFER_CHUNK_SIZE: '200', BATCH_INFER_CONFIG: config };
    const { values, configFile } = readOptions('run', { workers: '1', manifest: AE }, env);
    assert.equal(configFile, config);
    assert.deepEqual([values.workers.value, values.workers.source], [1, 'flag']);
    assert.deepEqual([values.chunkSize.value, values.chunkSize.source], [200, 'env']);
    assert.deepEqual([values.batchRows.value, values.batchRows.source], [30, 'config']);
    assert.deepEqual([values.maxInFlight.value, values.maxInFlight.source], [9, 'config']);
    assert.deepEqual([values.retries.value, values.retries.source], [2, 'default']);
  });

  it('resolves a manifest run section below the config file and above the default', (t) => {
    const dir = tempDir(t);
    const manifest = writeJson(dir, 'm.json', { models: [{ path: join(MODELS, 'autoencoder.onnx'), inputs: [{ name: 'metrics', columns: ['a'] }], outputs: [{ name: 'reconstruction_error', columns: ['s'] }] }], run: { chunkSize: 700, workers: 3 } });
    const config = writeJson(dir, 'c.json', { workers: 2 });
    const resolved = resolveRunOptions(undefined, readOptions('run', { manifest, config }, {}).values, false);
    assert.deepEqual([resolved.run.workers, resolved.explained.workers?.source], [2, 'config']);
    assert.deepEqual([resolved.run.chunkSize, resolved.explained.chunkSize?.source], [700, 'manifest']);
    assert.equal(resolved.run.balanceFor, undefined, 'a chosen chunk size is not balanced');
    assert.deepEqual([resolved.run.maxInFlight, resolved.explained.maxInFlight?.source], [8, 'default']);
  });

  it('bench honours BATCH_INFER_* and --config as run does, flags first', (t) => {
    const config = writeJson(tempDir(t), 'c.json', { 'chunk-sizes': '500,1000', workers: '1,2', repeats: 5, rows: 100 });
    const env = { BATCH_INFER_REPEATS: '4', BATCH_INFER_MAX_REPEATS: '6', BATCH_INFER_MANIFEST: AE };
    const { values } = readOptions('bench', { config, workers: '3' }, env);
    const bench = resolveBenchOptions(undefined, values, false);
    assert.deepEqual(bench.chunkSizes, [500, 1000]);
    assert.deepEqual(bench.workers, [3]);
    assert.deepEqual(bench.rule, { repeats: 4, stabilityPercent: 10, maxRepeats: 6 });
    assert.equal(bench.rows, 100);
    assert.equal(bench.manifest.source, AE);
    throwsRefusal(() => readOptions('bench', {}, { BATCH_INFER_STABILITY: 'lots' }), 'USAGE', /^BATCH_INFER_STABILITY must be a positive percentage, got 'lots'$/);
  });

  it('takes relative paths in a config file from its directory, and names file and key in a bad value', (t) => {
    const dir = tempDir(t);
    const config = writeJson(dir, 'c.json', { 'out-dir': 'out', lock: 'run.lock', 'timing-json': '/abs/t.json' });
    const { values } = readOptions('replay', { config }, {});
    assert.equal(values.outDir.value, join(dir, 'out'));
    assert.equal(values.lock.value, join(dir, 'run.lock'));
    assert.equal(values.timingJson.value, '/abs/t.json');
    const bad = writeJson(dir, 'bad.json', { chunkSize: 'abc' });
    throwsRefusal(() => readOptions('replay', { config: bad }, {}), 'CONFIG_INVALID', new RegExp(`^--config ${bad}: chunkSize must be a positive integer, got 'abc'$`));
  });

  it('names the flag or variable and the value in every bad value', () => {
    throwsRefusal(() => readOptions('run', { chunkSize: 'abc' }, {}), 'USAGE', /^--chunk-size must be a positive integer, got 'abc'$/);
    throwsRefusal(() => readOptions('run', {}, { BATCH_INFER_DEADLINE: 'soon' }), 'USAGE', /^BATCH_INFER_DEADLINE must be a duration such as 500ms, 50s or 2m, got 'soon'$/);
    throwsRefusal(() => readOptions('bench', { workers: '1,x' }, {}), 'USAGE', /^--workers must be positive integers such as '1,2,4', got '1,x'$/);
    throwsRefusal(() => readOptions('generate', { rows: '0' }, {}), 'USAGE', /^--rows must be a positive integer, got '0'$/);
  });

  for (const [command, variable, flag] of [
    ['replay', 'BATCH_INFER_ENDPOINT', '--endpoint'],
    ['replay', 'BATCH_INFER_DEADLINE', '--deadline'],
    ['replay', 'BATCH_INFER_COMPARE', '--compare'],
    ['bench', 'BATCH_INFER_CHUNK_SIZE', '--chunk-size'],
    ['bench', 'BATCH_INFER_OUTPUT', '--output'],
    ['run', 'BATCH_INFER_CHUNK_SIZES', '--chunk-sizes'],
  ] as const) {
    it(`${command} refuses ${variable}, an option it does not take, naming both`, () => {
      throwsRefusal(() => readOptions(command, {}, { [variable]: '1' }), 'USAGE', new RegExp(`^${variable} is set, but ${command} does not take ${flag}$`));
    });
  }

  for (const [command, key, flag] of [
    ['replay', 'endpoint', '--endpoint'],
    ['replay', 'on-deadline', '--on-deadline'],
    ['bench', 'chunkSize', '--chunk-size'],
    ['bench', 'timing-json', '--timing-json'],
  ] as const) {
    it(`${command} refuses the config key ${key}, an option it does not take, naming file and key`, (t) => {
      const config = writeJson(tempDir(t), 'c.json', { [key]: 'x' });
      throwsRefusal(() => readOptions(command, { config }, {}), 'CONFIG_INVALID', new RegExp(`^--config ${config} sets '${key}', but ${command} does not take ${flag}$`));
    });
  }

  it('leaves alone variables that are not options, and unknown config keys stay an error', (t) => {
    const env = { BATCH_INFER_TOKEN: 's', BATCH_INFER_FAULT: 'crash@1', BATCH_INFER_WORKER_SETUP: '{}', BATCH_INFER_TARGETS: '3' };
    assert.equal(readOptions('replay', {}, env).values.workers.source, 'default');
    const config = writeJson(tempDir(t), 'c.json', { frobnicate: 1 });
    assert.throws(() => readOptions('run', { config }, {}), /unknown option 'frobnicate'/);
  });

  it('reads only flags for generate: the environment set up for run does not reach it', () => {
    const { values } = readOptions('generate', {}, { BATCH_INFER_ROWS: '7', BATCH_INFER_WORKERS: '2', BATCH_INFER_CONFIG: '/nonexistent.json' });
    assert.deepEqual([values.rows.value, values.rows.source], [5000, 'default']);
  });
});

describe('--print-config', () => {
  it('replay prints its own options with their sources, and none of run alone', (t) => {
    const dir = tempDir(t);
    const config = writeJson(dir, 'c.json', { retries: 5 });
    const { values, configFile } = readOptions('replay', { manifest: AE, outDir: dir, config }, { BATCH_INFER_WORKERS: '2' });
    const printed = formatExplained(resolveReplayOptions(values, false).explained, configFile);
    assert.match(printed, /^--workers\s+2\s+\[env BATCH_INFER_WORKERS\]$/m);
    assert.match(printed, new RegExp(`^--retries\\s+5\\s+\\[config ${config}\\]$`, 'm'));
    assert.match(printed, /^--out-dir\s+".*"\s+\[flag\]$/m);
    assert.match(printed, /^--max-in-flight\s+8\s+\[default\]$/m);
    assert.doesNotMatch(printed, /--endpoint|--deadline|--compare|--output |--print-config|--config/);
  });

  it('bench prints its sweep options with their sources', (t) => {
    const config = writeJson(tempDir(t), 'c.json', { 'chunk-sizes': '256:1024' });
    const { values, configFile } = readOptions('bench', { manifest: AE, config, rows: '100' }, { BATCH_INFER_WARMUP: '0' });
    const printed = formatExplained(resolveBenchOptions(undefined, values, false).explained, configFile);
    assert.match(printed, new RegExp(`^--chunk-sizes\\s+\\[256,512,1024\\]\\s+\\[config ${config}\\]$`, 'm'));
    assert.match(printed, /^--warmup\s+0\s+\[env BATCH_INFER_WARMUP\]$/m);
    assert.match(printed, /^--rows\s+100\s+\[flag\]$/m);
    assert.match(printed, /^--workers\s+\[1(,\d+)*\]\s+\[default\]$/m);
    assert.doesNotMatch(printed, /--chunk-size |--timing-json/);
  });
});
