import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

/**
 * Starts the repository's Ray Serve app on 127.0.0.1 (serve/start-local.sh, which also creates its virtual
 * environment from the pinned requirements). Returns its base URL, or a reason to skip when Python or Ray is
 * missing outside CI. In CI (CI=true) a missing Python is a failure, not a skip.
 */
export function startRayServe(replicas = 2): { url: string; port: number } | { skip: string } {
  const python = spawnSync('python3', ['--version']);
  if (python.status !== 0) {
    if (process.env.CI === 'true') throw new Error('python3 is missing, and CI must run the Ray Serve tests');
    return { skip: 'python3 is not installed: skipping the Ray Serve tests' };
  }
  const started = spawnSync('bash', [join(ROOT, 'serve', 'start-local.sh'), '0', String(replicas)], { cwd: ROOT, encoding: 'utf8', timeout: 600_000, env: { ...process.env, BATCH_INFER_SERVE_FAST_STOP: '1' } });
  if (started.status !== 0) {
    const reason = `serve/start-local.sh failed (exit ${started.status}): ${started.stderr.trim().split('\n').slice(-5).join(' | ')}`;
    if (process.env.CI === 'true' || existsSync(join(ROOT, '.venv', 'serve', 'bin', 'serve'))) throw new Error(reason);
    return { skip: `Ray Serve could not be set up here: ${reason}` };
  }
  const port = Number(started.stdout.trim().split('\n').at(-1));
  return { url: `http://127.0.0.1:${port}`, port };
}

export function stopRayServe(port: number): void {
  spawnSync('bash', [join(ROOT, 'serve', 'stop-local.sh'), String(port)], { cwd: ROOT, timeout: 120_000, env: { ...process.env, BATCH_INFER_SERVE_FAST_STOP: '1' } });
}
