import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { BIN, MODELS, ROOT, tempDir } from '../helpers/paths.js';

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the bin with one of its pipes closed by the reader: stderr at once, or stdout after its first bytes. */
function runWithClosedPipe(args: string[], closed: 'stderr' | 'stdout'): Promise<Ended> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  if (closed === 'stderr') {
    child.stderr.destroy();
    child.stdout.resume();
  } else {
    child.stdout.once('data', () => child.stdout.destroy());
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  }
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

describe('a reader that goes away', () => {
  it('run keeps scoring and writes every row when its stderr is closed (--log-format json writes a line per phase)', async (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'in.csv');
    assert.equal(runCli(['generate', '--rows', '60000', '-o', input]).code, 0);
    const result = await runWithClosedPipe(['run', input, '-m', join(MODELS, 'autoencoder.manifest.json'), '-o', join(dir, 'out.csv'), '--log-format', 'json', '-c', '2000'], 'stderr');
    assert.equal(result.code, 0);
    assert.equal(readFileSync(join(dir, 'out.csv'), 'utf8').trimEnd().split('\n').length, 60_001);
  });

  it('replay keeps going and writes every snapshot when its stderr is closed', async (t) => {
    const dir = tempDir(t);
    const inDir = join(dir, 'in');
    mkdirSync(inDir);
    for (const minute of ['00', '01', '02', '03']) {
      assert.equal(runCli(['generate', '--rows', '20000', '--seed', `1${minute}`, '-o', join(inDir, `apm-2026-12-01T00-${minute}.csv`)]).code, 0);
    }
    const outDir = join(dir, 'out');
    const result = await runWithClosedPipe(['replay', inDir, '-m', join(MODELS, 'autoencoder.manifest.json'), '--out-dir', outDir, '--log-format', 'json'], 'stderr');
    assert.equal(result.code, 0);
    const outputs = readdirSync(outDir).filter((f) => f.endsWith('.out.csv'));
    assert.equal(outputs.length, 4);
    for (const output of outputs) assert.equal(readFileSync(join(outDir, output), 'utf8').trimEnd().split('\n').length, 20_001);
  });

  for (const [what, args] of [
    ['generate', ['generate', '--rows', '200000']],
    ['--print-config', ['run', '--print-config', '-m', join(MODELS, 'manifest.json')]],
    ['--help', ['run', '--help']],
  ] as const) {
    it(`${what} ends quietly with 0 when its stdout is closed, as grep does`, async () => {
      const result = await runWithClosedPipe([...args], 'stdout');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
    });
  }
});
