import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { MODELS, SNAPSHOT } from '../helpers/paths.js';

describe('onnxruntime stays quiet unless asked', () => {
  const work = mkdtempSync(join(tmpdir(), 'batch-infer-native-'));
  after(() => rmSync(work, { recursive: true, force: true }));
  // runCli merges these over this process's environment, so a switch is cleared by setting it empty (which both
  // read as unset). CI empty too: with CI=true onnxruntime keeps no telemetry by itself, and these tests could
  // not fail in CI.
  const env = (extra: Record<string, string>): Record<string, string> => ({ ORT_DISABLE_TELEMETRY: '', BATCH_INFER_ORT_LOG_LEVEL: '', CI: '', ...extra });
  const args = (output: string): string[] => ['run', SNAPSHOT, '-m', join(MODELS, 'autoencoder.manifest.json'), '-o', join(work, output), '-q'];

  it('writes no telemetry database under the home directory by default', () => {
    const home = join(work, 'home');
    const result = runCli(args('a.csv'), { env: env({ HOME: home }) });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(existsSync(join(home, '.cache', 'Microsoft')), false, 'onnxruntime wrote its telemetry database');
  });

  it('prints nothing on stderr with -q where onnxruntime cannot write its telemetry (it would warn in colour)', () => {
    const file = join(work, 'not-a-directory');
    writeFileSync(file, '');
    const result = runCli(args('b.csv'), { env: env({ HOME: join(file, 'home') }) });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
  });

  it('keeps telemetry when the user sets ORT_DISABLE_TELEMETRY=0', () => {
    const home = join(work, 'home-telemetry');
    mkdirSync(home);
    // With the home writable, onnxruntime keeps its device id (and database) under ~/.cache at start.
    const result = runCli(args('c.csv'), { cwd: work, env: env({ HOME: home, ORT_DISABLE_TELEMETRY: '0' }) });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(existsSync(join(home, '.cache', 'Microsoft')), true);
  });

  it("shows onnxruntime's own log lines when BATCH_INFER_ORT_LOG_LEVEL asks for them", () => {
    // Info lines come while a session is created, so they are there whatever the timing (a telemetry warning is
    // written by a thread of its own, and a short run can end before it).
    const result = runCli(args('d.csv'), { env: env({ HOME: join(work, 'home'), BATCH_INFER_ORT_LOG_LEVEL: 'info' }) });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /\[I:onnxruntime/);
  });
});
