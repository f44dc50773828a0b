import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { exitStatusOf } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { readCsv } from '../helpers/golden.js';
import { BIN, MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';
import { startCli, waitFor } from '../helpers/spawn.js';

const AE = join(MODELS, 'autoencoder.manifest.json');
const ALL = join(MODELS, 'manifest.json');

describe('every-minute runs', () => {
  it("--deadline with the default 'finish': scores everything, reports the overrun, exits 3", (t) => {
    const dir = tempDir(t);
    const result = runCli(['run', SNAPSHOT, '-m', AE, '--deadline', '1ms', '-o', join(dir, 'out.csv'), '--timing-json', join(dir, 't.json')]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /deadline passed, overran by \d+ ms \(finished anyway\)/);
    const timing = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(timing.deadlineExceeded, true);
    assert.ok((timing.overrunMs as number) > 0);
    assert.equal(readCsv(readFileSync(join(dir, 'out.csv'), 'utf8')).length, 5000);
  });

  it("--on-deadline abort: stops, writes what is done, and every unscored row is a 'deadline' reject (exit 3)", (t) => {
    const dir = tempDir(t);
    const result = runCli(['run', SNAPSHOT, '-m', AE, '--deadline', '1ms', '--on-deadline', 'abort', '-c', '250', '-o', join(dir, 'out.csv'), '--rejects', join(dir, 'r.csv'), '--timing-json', join(dir, 't.json')]);
    assert.equal(result.code, 3, result.stderr);
    const out = readCsv(readFileSync(join(dir, 'out.csv'), 'utf8'));
    const rejects = readCsv(readFileSync(join(dir, 'r.csv'), 'utf8'));
    assert.equal(out.length + rejects.length, 5000);
    assert.ok(rejects.length > 0);
    assert.ok(rejects.every((r) => r.reason === 'deadline'));
    // The rejects are the rows to replay: their records are the input's lines, in order.
    const lines = readFileSync(SNAPSHOT, 'utf8').split('\n');
    for (const reject of rejects.slice(0, 50)) assert.equal(reject.record, lines[Number(reject.line) - 1]);
  });

  it('a deadline that is not reached changes nothing (exit 0)', () => {
    const result = runCli(['run', SNAPSHOT, '-m', AE, '--deadline', '2m', '-q']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readCsv(result.stdout).length, 5000);
  });

  it('--lock held by a live process: exits 75 at once, naming the holder', (t) => {
    const lock = join(tempDir(t), 'run.lock');
    writeFileSync(lock, JSON.stringify({ pid: process.pid, startedAt: '2026-11-30T00:00:00.000Z' }));
    const result = runCli(['run', SNAPSHOT, '-m', AE, '--lock', lock, '-q']);
    assert.equal(result.code, 75);
    assert.match(result.stderr, new RegExp(`--lock .*run\\.lock: held by pid ${process.pid} \\(running since 2026-11-30T00:00:00.000Z\\)`));
    assert.equal(result.stdout, '');
    assert.ok(existsSync(lock), 'the holder keeps its lock');
  });

  it('--lock left by a dead process is taken over, and released at the end', (t) => {
    const lock = join(tempDir(t), 'run.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(lock, JSON.stringify({ pid: Number(dead), startedAt: 'earlier' }));
    const result = runCli(['run', SNAPSHOT, '-m', AE, '--lock', lock, '-q', '--log-format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const start = result.stderr.split('\n').map((l) => JSON.parse(l || '{}') as Record<string, unknown>).find((e) => e.event === 'start');
    assert.equal(start?.lockTakenOver, true);
    assert.equal(existsSync(lock), false);
  });

  it('options come from flags over BATCH_INFER_* over --config, and --print-config says where from', (t) => {
    const dir = tempDir(t);
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ manifest: AE, chunkSize: 100, workers: 1, retries: 5, 'output-format': 'ndjson' }));
    const env = { BATCH_INFER_CHUNK_SIZE: '200', BATCH_INFER_WORKERS: '2' };
    const printed = runCli(['run', SNAPSHOT, '--config', config, '--chunk-size', '300', '--print-config'], { env });
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /--chunk-size\s+300\s+\[flag\]/);
    assert.match(printed.stdout, /--workers\s+2\s+\[env BATCH_INFER_WORKERS\]/);
    assert.match(printed.stdout, new RegExp(`--retries\\s+5\\s+\\[config ${config.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\]`));
    assert.match(printed.stdout, /--isolation\s+"thread"\s+\[default\]/);
    const timing = join(dir, 't.json');
    const run = runCli(['run', SNAPSHOT, '--config', config, '--chunk-size', '300', '--timing-json', timing, '-q'], { env });
    assert.equal(run.code, 0, run.stderr);
    const figures = JSON.parse(readFileSync(timing, 'utf8')) as Record<string, number>;
    assert.equal(figures.chunkSize, 300);
    assert.equal(figures.workers, 2);
    assert.doesNotThrow(() => JSON.parse(run.stdout.split('\n')[0]!), 'output format from the config file');
    const bad = runCli(['run', SNAPSHOT, '-m', AE], { env: { BATCH_INFER_CHUNK_SIZE: 'lots' } });
    assert.equal(bad.code, exitStatusOf('USAGE'), bad.stderr);
    assert.match(bad.stderr, /BATCH_INFER_CHUNK_SIZE must be a positive integer, got 'lots'/);
  });

  it('takes relative paths in a --config file from the file, not from the working directory', (t) => {
    const dir = join(tempDir(t), 'conf');
    mkdirSync(dir);
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ manifest: relative(dir, AE), output: 'scores.csv', 'timing-json': 'timing.json' }));
    // runCli runs from the repository root, which is not the config file's directory.
    const result = runCli(['run', SNAPSHOT, '--config', config, '-q']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readCsv(readFileSync(join(dir, 'scores.csv'), 'utf8')).length, 5000);
    assert.ok(existsSync(join(dir, 'timing.json')));
  });

  it('--log-format json writes one JSON object per line on stderr: start, phases, summary', () => {
    const result = runCli(['run', SNAPSHOT, '-m', AE, '--log-format', 'json']);
    assert.equal(result.code, 0);
    const events = result.stderr.trim().split('\n').map((line) => JSON.parse(line) as { event: string; time: string; rows?: number });
    assert.deepEqual([events[0]!.event, events.at(-1)!.event], ['start', 'summary']);
    assert.ok(events.some((e) => e.event === 'bound'));
    assert.equal(events.at(-1)!.rows, 5000);
    assert.ok(events.every((e) => !Number.isNaN(Date.parse(e.time))));
    const failed = runCli(['run', 'missing.csv', '-m', AE, '--log-format', 'json']);
    assert.equal(failed.code, exitStatusOf('INPUT_NOT_FOUND'), failed.stderr);
    const error = failed.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>).find((e) => e.event === 'error');
    assert.deepEqual([error?.code, error?.exitCode], ['INPUT_NOT_FOUND', failed.code], failed.stderr);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} mid-run stops promptly, leaves no output or temporary file, exits ${signal === 'SIGTERM' ? 143 : 130}`, async (t) => {
      const dir = tempDir(t);
      const big = join(dir, 'big.csv');
      spawnSync(process.execPath, [BIN, 'generate', '--rows', '400000', '-o', big]);
      const out = join(dir, 'out.csv');
      const run = startCli(['run', big, '-m', ALL, '-o', out, '--rejects', join(dir, 'r.csv'), '--log-format', 'json', '-c', '2000']);
      await waitFor(() => run.stderr().includes('"event":"bound"'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const sentAt = Date.now();
      run.child.kill(signal);
      const result = await run.done;
      assert.equal(result.code, signal === "SIGTERM" ? 143 : 130, `${String(result.signal)} ${result.stderr.slice(-500)}`);
      assert.ok(Date.now() - sentAt < 5000, 'stopped within 5 s');
      assert.deepEqual(readdirSync(dir), ['big.csv']);
    });
  }
});
