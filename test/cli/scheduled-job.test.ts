import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exitStatusOf } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import { startCli } from '../helpers/spawn.js';

const AE = join(MODELS, 'autoencoder.manifest.json');

/** The fixture's header and `good` good rows, then `bad` rows whose tps is not a number (rows without quotes). */
function snapshotWithBadRows(good: number, bad: number): string {
  const [header, ...rows] = readFileSync(SNAPSHOT, 'utf8').split('\n');
  const lines = [header!, ...rows.filter((line) => line !== '' && !line.includes('"'))];
  const tps = header!.split(',').indexOf('tps');
  const spoil = (line: string): string => line.split(',').map((field, i) => (i === tps ? 'oops' : field)).join(',');
  return `${[header!, ...lines.slice(1, 1 + good), ...lines.slice(1 + good, 1 + good + bad).map(spoil)].join('\n')}\n`;
}

describe('--max-rejects', () => {
  it('fails the run with 5 beyond the default (half the rows), still writing every row where it belongs', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'in.csv'), snapshotWithBadRows(40, 60));
    const result = runCli(['run', join(dir, 'in.csv'), '-m', AE, '-o', join(dir, 'out.csv'), '--rejects', join(dir, 'rejects.csv')]);
    assert.equal(result.code, 5, result.stderr);
    assert.match(result.stderr, /batch-infer: 60 of 100 rows rejected, more than --max-rejects \(50% of the rows\): the run failed, its output is written\n/);
    assert.equal(readFileSync(join(dir, 'out.csv'), 'utf8').trimEnd().split('\n').length, 41);
    assert.equal(readFileSync(join(dir, 'rejects.csv'), 'utf8').trimEnd().split('\n').length, 61);
  });

  it('takes a row count or a percentage, from a flag or the environment', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'in.csv'), snapshotWithBadRows(90, 10));
    const args = ['run', join(dir, 'in.csv'), '-m', AE, '-o', join(dir, 'out.csv'), '-q'];
    assert.equal(runCli([...args]).code, 1);
    assert.equal(runCli([...args, '--max-rejects', '10']).code, 1);
    assert.equal(runCli([...args, '--max-rejects', '9']).code, 5);
    assert.equal(runCli([...args, '--max-rejects', '5%']).code, 5);
    assert.equal(runCli(args, { env: { BATCH_INFER_MAX_REJECTS: '0' } }).code, 5);
    const bad = runCli([...args, '--max-rejects', '101%']);
    assert.equal(bad.code, exitStatusOf('USAGE'), bad.stderr);
    assert.equal(bad.stderr, "batch-infer: --max-rejects must be a number of rows (e.g. 500) or a percentage of the rows from 0% to 100% (e.g. 5%), got '101%'\n");
  });
});

describe('--metrics-file and --heartbeat on a real run', () => {
  const pings: { path: string; body: string }[] = [];
  let base = '';
  const server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (piece: Buffer) => (body += piece.toString('utf8')));
    request.on('end', () => {
      pings.push({ path: new URL(request.url ?? '/', 'http://x').pathname, body });
      response.end('OK');
    });
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping/check-1`;
  });
  after(() => server.close());

  it('a good run writes its figures and pings start then success; a failing one pings its exit status and keeps the last success', async (t) => {
    const dir = tempDir(t);
    const metrics = join(dir, 'batch-infer.prom');
    pings.length = 0;
    const good = await startCli(['run', SNAPSHOT, '-m', AE, '-o', join(dir, 'out.csv'), '-q', '--metrics-file', metrics, '--heartbeat', base]).done;
    assert.equal(good.code, 0, good.stderr);
    let families = parsePrometheusText(readFileSync(metrics, 'utf8'));
    const run = { command: 'run' };
    assert.equal(sampleValue(families, 'batch_infer_last_run_rows_in', run), 5000);
    assert.equal(sampleValue(families, 'batch_infer_last_run_rows_scored', run), 5000);
    assert.equal(sampleValue(families, 'batch_infer_last_run_exit_status', run), 0);
    assert.ok((sampleValue(families, 'batch_infer_last_run_phase_seconds', { ...run, phase: 'startup' }) ?? 0) > 0);
    const success = sampleValue(families, 'batch_infer_last_success_timestamp_seconds', run);
    assert.ok(success !== undefined && Math.abs(success - Date.now() / 1000) < 60);
    assert.deepEqual(pings.map((p) => p.path), ['/ping/check-1/start', '/ping/check-1']);
    assert.match(pings[1]!.body, /^exit 0: 5000 rows in, 5000 scored, 0 rejected\n$/);

    pings.length = 0;
    const failed = await startCli(['run', join(dir, 'missing.csv'), '-m', AE, '-q', '--metrics-file', metrics, '--heartbeat', base]).done;
    assert.notEqual(failed.code, 0);
    families = parsePrometheusText(readFileSync(metrics, 'utf8'));
    assert.equal(sampleValue(families, 'batch_infer_last_run_exit_status', run), failed.code);
    assert.equal(sampleValue(families, 'batch_infer_last_success_timestamp_seconds', run), success);
    assert.deepEqual(pings.map((p) => p.path), ['/ping/check-1/start', `/ping/check-1/${failed.code}`]);
  });

  it('a run that finds the lock held pings nothing and writes no metrics: the holder reports', async (t) => {
    const dir = tempDir(t);
    const lock = join(dir, 'run.lock');
    writeFileSync(lock, `${JSON.stringify({ pid: process.pid })}\n`);
    pings.length = 0;
    const result = await startCli(['run', SNAPSHOT, '-m', AE, '--lock', lock, '--metrics-file', join(dir, 'm.prom'), '--heartbeat', base]).done;
    assert.equal(result.code, 75, result.stderr);
    assert.deepEqual(pings, []);
    assert.equal(existsSync(join(dir, 'm.prom')), false);
  });

  it('--heartbeat takes http and https URLs only, naming the flag', () => {
    for (const url of ['ftp://x/y', 'not a url']) {
      const result = runCli(['run', SNAPSHOT, '-m', AE, '--heartbeat', url]);
      assert.equal(result.code, 64);
      assert.equal(result.stderr, `batch-infer: --heartbeat must be an http:// or https:// URL, got '${url}'\n`);
    }
  });

  it('a heartbeat receiver that is down never fails the run', async (t) => {
    const dir = tempDir(t);
    const result = await startCli(['run', SNAPSHOT, '-m', AE, '-o', join(dir, 'out.csv'), '--heartbeat', 'http://127.0.0.1:9/ping']).done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /batch-infer: --heartbeat http:\/\/127\.0\.0\.1:9: the ping\/start failed: /);
  });
});

describe('--log-format json covers every message', () => {
  it('a failure is one error event, not a JSON line and a text line; the lock-held message too', (t) => {
    const dir = tempDir(t);
    const missing = runCli(['run', join(dir, 'missing.csv'), '-m', AE, '--log-format', 'json']);
    const lines = missing.stderr.trimEnd().split('\n');
    assert.ok(lines.every((line) => JSON.parse(line) !== null), missing.stderr);
    assert.equal(lines.filter((line) => (JSON.parse(line) as { event: string }).event === 'error').length, 1);
    const lock = join(dir, 'run.lock');
    writeFileSync(lock, `${JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() })}\n`);
    const held = runCli(['run', SNAPSHOT, '-m', AE, '-o', join(dir, 'out.csv'), '--lock', lock, '--log-format', 'json']);
    assert.equal(held.code, 75);
    const events = held.stderr.trimEnd().split('\n').map((line) => JSON.parse(line) as { event: string; code?: string });
    assert.deepEqual(events.map((e) => [e.event, e.code]), [['error', 'LOCKED']]);
  });

  it('a usage mistake caught while the flags are read is a JSON error event too', () => {
    const result = runCli(['run', SNAPSHOT, '-m', AE, '--no-such-flag', '--log-format', 'json']);
    assert.equal(result.code, 64);
    const event = JSON.parse(result.stderr) as { event: string; code: string; exitCode: number; message: string };
    assert.deepEqual([event.event, event.code, event.exitCode, event.message], ['error', 'USAGE', 64, "unknown option '--no-such-flag'"]);
  });

  it('the start event names the chunk size only when it is fixed; the summary names the one used', (t) => {
    const dir = tempDir(t);
    const balanced = runCli(['run', SNAPSHOT, '-m', AE, '-o', join(dir, 'a.csv'), '--log-format', 'json']);
    const events = balanced.stderr.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const start = events.find((e) => e.event === 'start')!;
    const summary = events.find((e) => e.event === 'summary')!;
    assert.equal(start.chunkSize, undefined);
    assert.equal(start.isChunkSizeBalanced, true);
    assert.equal(summary.chunkSize, 2512);
    const fixed = runCli(['run', SNAPSHOT, '-m', AE, '-o', join(dir, 'b.csv'), '--log-format', 'json', '-c', '1000']);
    assert.equal((fixed.stderr.split('\n').map((line) => (line === '' ? {} : (JSON.parse(line) as Record<string, unknown>))).find((e) => e.event === 'start') ?? {}).chunkSize, 1000);
  });
});
