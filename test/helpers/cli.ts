import { spawnSync } from 'node:child_process';
import { BIN, ROOT, TEST_CACHE_DIR } from './paths.js';

export interface CliResult {
  code: number | null;
  /** The signal that ended the process, if one did (a crash, or the timeout). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built bin as a user would, without colour, from the repository root (or `cwd`). `stdout`: a file
 * descriptor to give the process as its stdout (then `stdout` in the result is empty).
 */
export function runCli(args: string[], options: { input?: string | Buffer; env?: Record<string, string>; stdout?: number; cwd?: string } = {}): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    input: options.input ?? '',
    stdio: ['pipe', options.stdout ?? 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', BATCH_INFER_CACHE_DIR: TEST_CACHE_DIR, ...options.env },
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
  });
  return { code: result.status, signal: result.signal, stdout: result.stdout?.toString('utf8') ?? '', stderr: result.stderr.toString('utf8') };
}
