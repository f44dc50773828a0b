import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

export interface RayServe {
  url: string;
  port: number;
}

/**
 * Why the Ray Serve tests cannot run here (python3 or .venv/serve missing), or undefined when they can. Cheap:
 * it starts nothing. In CI (CI=true) nothing is a reason to skip: the tests run and fail with the cause.
 */
export function findRayServeSkipReason(): string | undefined {
  if (process.env.CI === 'true') return undefined;
  if (spawnSync('python3', ['--version']).status !== 0) return 'python3 is not installed: skipping the Ray Serve tests';
  if (!existsSync(join(ROOT, '.venv', 'serve', 'bin', 'serve'))) return '.venv/serve is missing (bash serve/setup-venv.sh): skipping the Ray Serve tests';
  return undefined;
}

/** Starts the repository's Ray Serve app on 127.0.0.1 (serve/start-local.sh) and returns its base URL. */
export function startRayServe(replicas = 2): RayServe {
  const started = spawnSync('bash', [join(ROOT, 'serve', 'start-local.sh'), '0', String(replicas)], { cwd: ROOT, encoding: 'utf8', timeout: 600_000, env: { ...process.env, BATCH_INFER_SERVE_FAST_STOP: '1' } });
  if (started.status !== 0) {
    throw new Error(`serve/start-local.sh failed (exit ${started.status}): ${started.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
  const port = Number(started.stdout.trim().split('\n').at(-1));
  return { url: `http://127.0.0.1:${port}`, port };
}

export function stopRayServe(port: number): void {
  spawnSync('bash', [join(ROOT, 'serve', 'stop-local.sh'), String(port)], { cwd: ROOT, timeout: 120_000, env: { ...process.env, BATCH_INFER_SERVE_FAST_STOP: '1' } });
}
