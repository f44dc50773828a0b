import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { BIN, MODELS, ROOT, tempDir } from '../helpers/paths.js';

const AE = join(MODELS, 'autoencoder.manifest.json');

interface Ended {
  code: number | null;
  stderr: string;
  /** Milliseconds from start to exit. */
  ms: number;
}

/** Runs the bin with `first` on stdin, then keeps stdin open (and silent) until the process ends. */
function runWithStalledStdin(args: string[], first: string): Promise<Ended> {
  const start = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.write(first);
  child.stdin.on('error', () => undefined);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  // A guard: the test fails on the assertions below, not by hanging for ever.
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(guard);
      child.stdin.destroy();
      resolve({ code, stderr, ms: performance.now() - start });
    }),
  );
}

function csvLines(file: string): string[] {
  return readFileSync(file, 'utf8').trimEnd().split('\n');
}

/** `run -` fed 100 rows on a stdin that then stalls, interrupted with SIGINT after `afterMs`: its exit and duration. */
async function interruptWhileStdinStalls(args: string[], afterMs: number): Promise<{ code: number | null; ms: number }> {
  const start = performance.now();
  const child = spawn(process.execPath, [BIN, 'run', '-', ...args, '-q'], { cwd: ROOT, stdio: ['pipe', 'ignore', 'pipe'] });
  child.stdin.write(`${readFileSync(join(ROOT, 'fixtures', 'snapshot.csv'), 'utf8').split('\n').slice(0, 100).join('\n')}\n`);
  child.stdin.on('error', () => undefined);
  child.stderr.resume();
  setTimeout(() => child.kill('SIGINT'), afterMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  child.stdin.destroy();
  return { code, ms: performance.now() - start };
}

/** The data rows a deadline-cut run read: all of them, or those before the byte offset its notice names. */
function rowsReadBeforeCut(input: string, stderr: string): number {
  const text = readFileSync(input, 'utf8');
  const cut = /stopped after (\d+) of \d+ bytes/.exec(stderr);
  if (cut === null) return text.trimEnd().split('\n').length - 1;
  // The cut falls on a read block, not a record: only the complete lines before it were rows.
  return text.slice(0, Number(cut[1])).split('\n').length - 2;
}

describe('--on-deadline abort ends within about a second of the deadline', () => {
  it('while a worker hangs: its chunk becomes deadline rejects and nothing is lost', (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'in.csv');
    assert.equal(runCli(['generate', '--rows', '40000', '-o', input]).code, 0);
    const start = performance.now();
    const result = runCli(['run', input, '-m', AE, '-o', join(dir, 'out.csv'), '--rejects', join(dir, 'rej.csv'), '-c', '2000', '--deadline', '3s', '--on-deadline', 'abort', '--max-rejects', '100%', '-q'], {
      env: { BATCH_INFER_FAULT: 'hang@3' },
    });
    const ms = performance.now() - start;
    assert.equal(result.code, 3, result.stderr);
    assert.ok(ms < 3000 + 2500, `took ${Math.round(ms)} ms after a 3 s deadline`);
    const out = csvLines(join(dir, 'out.csv')).length - 1;
    const rejects = csvLines(join(dir, 'rej.csv')).slice(1);
    assert.equal(out + rejects.length, 40_000);
    assert.ok(rejects.length >= 2000, 'the hung chunk is among the rejects');
    assert.ok(rejects.every((line) => line.split(',')[1] === 'deadline'));
  });

  it('with a slow model: chunks still inside onnxruntime finish (stopping their thread would abort the process)', (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'in.csv');
    assert.equal(runCli(['generate', '--rows', '200000', '-o', input]).code, 0);
    // IsolationForest chunks of 60,000 rows take well over the 500 ms minimum grace.
    const args = ['run', input, '-m', join(MODELS, 'iforest.manifest.json'), '-o', join(dir, 'out.csv'), '--rejects', join(dir, 'rej.csv'), '-c', '60000', '--deadline', '2500ms', '--on-deadline', 'abort', '--max-rejects', '100%', '--engine', 'onnxruntime'];
    const result = runCli(args);
    assert.doesNotMatch(result.stderr, /terminate called|Napi::Error/);
    assert.equal(result.code, 3, result.stderr);
    assert.equal(csvLines(join(dir, 'out.csv')).length - 1 + csvLines(join(dir, 'rej.csv')).length - 1, rowsReadBeforeCut(input, result.stderr));
  });

  it('while stdin stalls: the rows that arrived are scored, the exit is 3, and the unread input is reported', async (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'in.csv');
    assert.equal(runCli(['generate', '--rows', '500', '-o', input]).code, 0);
    const output = join(dir, 'out.csv');
    const result = await runWithStalledStdin(['run', '-', '-m', AE, '-o', output, '--deadline', '2s', '--on-deadline', 'abort'], readFileSync(input, 'utf8'));
    assert.equal(result.code, 3, result.stderr);
    assert.ok(result.ms < 2000 + 2500, `took ${Math.round(result.ms)} ms after a 2 s deadline`);
    // The 500 rows arrived long before the deadline: handed out when the input paused, not held for 16k rows.
    assert.equal(csvLines(output).length - 1, 500);
    assert.match(result.stderr, /stdin: the deadline passed before the input was read to the end: stopped after \d+ bytes/);
  });

  it('a signal while the models still load and stdin stalls ends the run once they are loaded, not at the 10 s safety exit', async () => {
    // onnxruntime takes about a second to load the IsolationForest: the signal lands while the pool starts.
    const { code, ms } = await interruptWhileStdinStalls(['-m', join(MODELS, 'manifest.json'), '--engine', 'onnxruntime', '-o', '-'], 300);
    assert.equal(code, 130);
    assert.ok(ms < 9000, `exited after ${Math.round(ms)} ms`);
  });

  it('a signal while stdin stalls ends the run at once', async (t) => {
    const { code, ms } = await interruptWhileStdinStalls(['-m', AE, '-o', join(tempDir(t), 'out.csv')], 1500);
    assert.equal(code, 130);
    assert.ok(ms < 5000, `exited after ${Math.round(ms)} ms`);
  });
});
