import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

export interface RayServe {
  url: string;
  port: number;
  /** Which start script started it: its stop script and state directory follow from it. */
  kind: 'local' | 'cluster';
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

function startWith(script: string, kind: RayServe['kind'], replicas: number | 'auto', env: Record<string, string>): RayServe {
  const started = spawnSync('bash', [join(ROOT, 'serve', script), '0', String(replicas)], { cwd: ROOT, encoding: 'utf8', timeout: 600_000, env: { ...process.env, BATCH_INFER_SERVE_FAST_STOP: '1', ...env } });
  if (started.status !== 0) {
    throw new Error(`serve/${script} failed (exit ${started.status}): ${started.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
  const port = Number(started.stdout.trim().split('\n').at(-1));
  return { url: `http://127.0.0.1:${port}`, port, kind };
}

/** Starts the repository's Ray Serve app on 127.0.0.1 (serve/start-local.sh) and returns its base URL. */
export function startRayServe(replicas: number | 'auto' = 2, env: Record<string, string> = {}): RayServe {
  return startWith('start-local.sh', 'local', replicas, env);
}

/** Starts two Ray nodes on this machine with the app's replicas spread over both (serve/start-cluster.sh). */
export function startRayCluster(replicas = 2): RayServe {
  return startWith('start-cluster.sh', 'cluster', replicas, {});
}

export function stopRayServe(server: RayServe | number): void {
  const { port, kind } = typeof server === 'number' ? { port: server, kind: 'local' } : server;
  spawnSync('bash', [join(ROOT, 'serve', kind === 'cluster' ? 'stop-cluster.sh' : 'stop-local.sh'), String(port)], { cwd: ROOT, timeout: 120_000, env: { ...process.env, BATCH_INFER_SERVE_FAST_STOP: '1' } });
}

export interface ReplicaStates {
  status: string;
  target: number;
  states: Record<string, number>;
  /** RUNNING replicas per node address. */
  nodes: Record<string, number>;
}

/** The app's replicas as `serve status` sees them, with each one's node (serve/replica-states.py, one poll). */
export function readReplicaStates(server: RayServe): ReplicaStates {
  const stateRoot = process.env.BATCH_INFER_SERVE_STATE_ROOT ?? '/tmp';
  const dir = join(stateRoot, `batch-infer-${server.kind === 'cluster' ? 'cluster' : 'serve'}-${server.port}`);
  const env = readFileSync(join(dir, 'env'), 'utf8');
  const gcs = /^GCS=(.*)$/m.exec(env)?.[1] ?? '';
  const headIp = /^HEAD_IP=(.*)$/m.exec(env)?.[1];
  const args = [join(ROOT, 'serve', 'replica-states.py'), '--address', gcs, ...(headIp === undefined ? [] : ['--node-ip', headIp])];
  const rayEnv = { RAY_AUTH_MODE: 'token', RAY_AUTH_TOKEN_PATH: join(dir, 'auth_token'), RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER: headIp === undefined ? '0' : '1' };
  const polled = spawnSync(join(ROOT, '.venv', 'serve', 'bin', 'python'), args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...rayEnv } });
  if (polled.status !== 0) throw new Error(`serve/replica-states.py failed (exit ${polled.status}): ${polled.stderr.trim().slice(-300)}`);
  return JSON.parse(polled.stdout.trim().split('\n').at(-1) ?? '') as ReplicaStates;
}
