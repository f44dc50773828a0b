import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BatchInferError, EXIT_STATUSES, ExitCode, exitCodeOf } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { BIN, MODELS, ROOT, SNAPSHOT, tempDir } from '../helpers/paths.js';
import { startCli, waitFor } from '../helpers/spawn.js';

const AE = join(MODELS, 'autoencoder.manifest.json');
const [HEADER, ...ROWS] = readFileSync(SNAPSHOT, 'utf8').trimEnd().split('\n');
const PLAIN_ROWS = ROWS.filter((row) => !row.includes('"'));

/** The header and `good` rows, then `bad` rows whose tps is not a number. */
function withBadRows(good: number, bad: number): string {
  const tps = HEADER!.split(',').indexOf('tps');
  const spoil = (row: string): string => row.split(',').map((field, i) => (i === tps ? 'x' : field)).join(',');
  return `${[HEADER, ...PLAIN_ROWS.slice(0, good), ...PLAIN_ROWS.slice(good, good + bad).map(spoil)].join('\n')}\n`;
}

/** README's exit-code table, row by row: [code, meaning, what to do]. */
function readmeRows(): string[][] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Exit codes'), readme.indexOf('\n## ', readme.indexOf('## Exit codes') + 1));
  return section
    .split('\n')
    .filter((line) => /^\| \d+ \|/.test(line))
    .map((line) => line.slice(2, -2).split(' | '));
}

describe('the exit-code contract', () => {
  it("README's table is the code's table, row for row", () => {
    assert.deepEqual(readmeRows(), EXIT_STATUSES.map((row) => [String(row.status), row.meaning, row.action]));
  });

  it('--help shows every status', () => {
    const help = runCli(['--help']);
    assert.equal(help.code, 0);
    for (const row of EXIT_STATUSES) assert.match(help.stdout, new RegExp(`^ +${row.status}  ${row.meaning.replaceAll('`', '').replace(/[()?.*+[\]]/g, '\\$&')}$`, 'm'));
  });

  it('--version prints the package version', () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.deepEqual([runCli(['--version']).stdout, runCli(['--version']).code], [`${version}\n`, 0]);
  });

  // One test per row, each through the command a user would run.
  it('0: every row scored', (t) => {
    assert.equal(runCli(['run', SNAPSHOT, '-m', AE, '-o', join(tempDir(t), 'o.csv'), '-q']).code, ExitCode.ok);
  });

  it('1: some rows rejected', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'in.csv'), withBadRows(9, 1));
    assert.equal(runCli(['run', join(dir, 'in.csv'), '-m', AE, '-o', join(dir, 'o.csv'), '-q']).code, ExitCode.rowsRejected);
  });

  it('3: the deadline passed', (t) => {
    assert.equal(runCli(['run', SNAPSHOT, '-m', AE, '-o', join(tempDir(t), 'o.csv'), '-q', '--deadline', '1ms']).code, ExitCode.deadline);
  });

  it('4: replay with a snapshot that cannot be scored', (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'in'));
    copyFileSync(SNAPSHOT, join(dir, 'in', 'apm-2026-12-01T00-00.csv'));
    writeFileSync(join(dir, 'in', 'apm-2026-12-01T00-01.csv'), 'not,the,columns\n1,2,3\n');
    assert.equal(runCli(['replay', join(dir, 'in'), '-m', AE, '--out-dir', join(dir, 'out'), '-q']).code, ExitCode.snapshotsFailed);
  });

  it('5: more rows rejected than --max-rejects', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'in.csv'), withBadRows(1, 9));
    assert.equal(runCli(['run', join(dir, 'in.csv'), '-m', AE, '-o', join(dir, 'o.csv'), '-q']).code, ExitCode.tooManyRejects);
  });

  it('64: usage', () => {
    assert.equal(runCli(['run', SNAPSHOT, '-m', AE, '--no-such-flag']).code, ExitCode.usage);
    assert.equal(runCli(['run', SNAPSHOT, '-m', AE, '--chunk-size', 'abc']).code, ExitCode.usage);
  });

  it('65: the input lacks a column the manifest needs', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'in.csv'), 'a,b\n1,2\n');
    assert.equal(runCli(['run', join(dir, 'in.csv'), '-m', AE]).code, ExitCode.data);
  });

  it('66: a missing input, and a model file that is not a model', (t) => {
    const dir = tempDir(t);
    assert.equal(runCli(['run', join(dir, 'missing.csv'), '-m', AE]).code, ExitCode.noInput);
    writeFileSync(join(dir, 'bad.onnx'), 'not a model');
    assert.equal(runCli(['run', SNAPSHOT, '--model', join(dir, 'bad.onnx')]).code, ExitCode.noInput);
  });

  it('69: the --endpoint server cannot be reached', (t) => {
    const result = runCli(['run', SNAPSHOT, '-m', AE, '-o', join(tempDir(t), 'o.csv'), '--endpoint', 'http://127.0.0.1:9', '--retries', '0', '--request-timeout', '2s']);
    assert.equal(result.code, ExitCode.unavailable, result.stderr);
  });

  it('69: serve cannot listen on a port another process holds, and says which', async (t) => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    t.after(() => holder.close());
    const port = (holder.address() as AddressInfo).port;
    const result = runCli(['serve', '-m', AE, '--port', String(port)]);
    assert.equal(result.code, ExitCode.unavailable, result.stderr);
    assert.equal(result.stderr, `batch-infer: --host 127.0.0.1 --port ${port}: cannot listen: the address is in use (another process listens there)\n`);
  });

  it('70: an internal error, and predictions that differ between the passes of --compare', () => {
    assert.equal(exitCodeOf(new Error('a bug')), ExitCode.internal);
    assert.equal(exitCodeOf(new BatchInferError('RESULTS_DIFFER', 'differ')), ExitCode.internal);
  });

  it('73: an output that cannot be created', (t) => {
    assert.equal(runCli(['run', SNAPSHOT, '-m', AE, '-o', join(tempDir(t), 'missing', 'o.csv')]).code, ExitCode.cannotCreate);
  });

  it('74: the reader of the predictions on stdout went away', async () => {
    const child = spawn(process.execPath, [BIN, 'run', SNAPSHOT, '-m', AE, '-q', '-c', '500'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.once('data', () => child.stdout.destroy());
    child.stderr.resume();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, ExitCode.ioError);
  });

  it('75: the lock is held by a live process', (t) => {
    const lock = join(tempDir(t), 'run.lock');
    writeFileSync(lock, `${JSON.stringify({ pid: process.pid })}\n`);
    assert.equal(runCli(['run', SNAPSHOT, '-m', AE, '--lock', lock]).code, ExitCode.temporaryFailure);
  });

  it('78: an invalid manifest or --config file', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'm.json'), '{"models": []}');
    assert.equal(runCli(['run', SNAPSHOT, '-m', join(dir, 'm.json')]).code, ExitCode.config);
    writeFileSync(join(dir, 'c.json'), '[1]');
    assert.equal(runCli(['run', SNAPSHOT, '-m', AE, '--config', join(dir, 'c.json')]).code, ExitCode.config);
  });

  for (const [signal, status] of [['SIGINT', ExitCode.interrupted], ['SIGTERM', ExitCode.terminated]] as const) {
    it(`${status}: stopped by ${signal}`, async (t) => {
      const dir = tempDir(t);
      const input = join(dir, 'in.csv');
      assert.equal(runCli(['generate', '--rows', '200000', '-o', input]).code, 0);
      const run = startCli(['run', input, '-m', join(MODELS, 'iforest.manifest.json'), '-o', join(dir, 'o.csv'), '--log-format', 'json']);
      await waitFor(() => run.stderr().includes('"event":"bound"'), 60_000);
      run.child.kill(signal);
      assert.equal((await run.done).code, status);
    });
  }

  it('every status of the table has its test above', () => {
    const tested = [0, 1, 3, 4, 5, 64, 65, 66, 69, 70, 73, 74, 75, 78, 130, 143];
    assert.deepEqual(EXIT_STATUSES.map((row) => row.status), tested);
  });
});
