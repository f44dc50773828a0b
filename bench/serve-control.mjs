// Starting and stopping the repository's Ray Serve app for the bench scripts (serve/start-local.sh and
// serve/start-cluster.sh), and reading its replicas (serve/replica-states.py), with the Ray address and token the
// start scripts left in their state directory.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stateRoot = process.env.BATCH_INFER_SERVE_STATE_ROOT ?? '/tmp';

function runScript(script, args, env = {}) {
  const result = spawnSync('bash', [join(root, 'serve', script), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`serve/${script} ${args.join(' ')} failed (exit ${result.status}): ${result.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return result.stdout.trim().split('\n').at(-1);
}

/** serve/start-local.sh 0 <replicas> ('auto' or a count); returns { url, port, kind: 'local' }. */
export function startLocal(replicas, env = {}) {
  const port = Number(runScript('start-local.sh', ['0', String(replicas)], env));
  return { url: `http://127.0.0.1:${port}`, port, kind: 'local' };
}

/** serve/start-cluster.sh 0 <replicas>: two Ray nodes on this machine, replicas spread over both. */
export function startCluster(replicas, env = {}) {
  const port = Number(runScript('start-cluster.sh', ['0', String(replicas)], env));
  return { url: `http://127.0.0.1:${port}`, port, kind: 'cluster' };
}

export function stopServer(server) {
  spawnSync('bash', [join(root, 'serve', server.kind === 'cluster' ? 'stop-cluster.sh' : 'stop-local.sh'), String(server.port)], { cwd: root, stdio: 'ignore', env: { ...process.env, BATCH_INFER_SERVE_FAST_STOP: '1' } });
}

function stateDir(server) {
  return join(stateRoot, `batch-infer-${server.kind === 'cluster' ? 'cluster' : 'serve'}-${server.port}`);
}

/** The GCS address and the Ray token file of a server the start scripts started. */
function rayAccess(server) {
  const dir = stateDir(server);
  const text = readFileSync(join(dir, 'env'), 'utf8');
  const gcs = /^GCS=(.*)$/m.exec(text)?.[1];
  // start-local.sh's Ray is loopback-only (the flag 0); start-cluster.sh's nodes have their own 127.0.0.x addresses.
  const nodeIp = /^HEAD_IP=(.*)$/m.exec(text)?.[1];
  const env = { ...process.env, RAY_AUTH_MODE: 'token', RAY_AUTH_TOKEN_PATH: join(dir, 'auth_token'), RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER: nodeIp === undefined ? '0' : '1' };
  return { gcs, nodeIp, env };
}

/** serve/replica-states.py polling every `interval` s; calls onLine with each parsed line. Returns the child. */
export function watchReplicas(server, interval, duration, onLine) {
  const { gcs, nodeIp, env } = rayAccess(server);
  const args = [join(root, 'serve/replica-states.py'), '--address', gcs, '--interval', String(interval), '--duration', String(duration), ...(nodeIp === undefined ? [] : ['--node-ip', nodeIp])];
  const child = spawn(join(root, '.venv/serve/bin/python'), args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Its stderr only when it fails on its own (being stopped makes Ray print a SIGTERM report).
  let errors = '';
  child.stderr.on('data', (data) => (errors += data));
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) process.stderr.write(`serve/replica-states.py exited ${code}: ${errors.slice(-500)}\n`);
  });
  let pending = '';
  child.stdout.on('data', (data) => {
    pending += data;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) if (line.trim() !== '') onLine(JSON.parse(line));
  });
  return child;
}
