import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './paths.js';

const VENV = join(ROOT, '.venv', 'mlserver', 'bin');

/** Why the MLServer test cannot run here (.venv/mlserver missing), or undefined; in CI nothing is a reason to skip. */
export function findMlserverSkipReason(): string | undefined {
  if (process.env.CI === 'true') return undefined;
  if (!existsSync(join(VENV, 'mlserver'))) return '.venv/mlserver is missing (bash fixtures/mlserver/setup-venv.sh): skipping the MLServer test';
  return undefined;
}

/** Writes the scikit-learn model, its ONNX export, a manifest for both and rows.csv into `dir` (make_model.py). */
export function makeMlserverModel(dir: string): void {
  const made = spawnSync(join(VENV, 'python'), [join(ROOT, 'fixtures', 'mlserver', 'make_model.py'), dir], { encoding: 'utf8', timeout: 300_000 });
  if (made.status !== 0) throw new Error(`make_model.py failed (exit ${made.status}): ${made.stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export interface Mlserver {
  url: string;
  child: ChildProcess;
  log: () => string;
}

/** Starts MLServer on loopback, free ports, serving the models under `dir`; resolves once it is ready. */
export async function startMlserver(dir: string): Promise<Mlserver> {
  const [http, grpc, metrics] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ host: '127.0.0.1', http_port: http, grpc_port: grpc, metrics_port: metrics, parallel_workers: 0 }));
  // Its own process group, so that stopping it stops whatever it started.
  const child = spawn(join(VENV, 'mlserver'), ['start', dir], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const server = { url: `http://127.0.0.1:${http}`, child, log: () => log };
  const until = Date.now() + 180_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`mlserver exited (${child.exitCode}): ${log.trim().split('\n').slice(-5).join(' | ')}`);
    const ready = await fetch(`${server.url}/v2/models/tree/ready`).then((r) => r.status === 200, () => false);
    if (ready) return server;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stopMlserver(server);
  throw new Error(`mlserver was not ready within 180 s: ${log.trim().split('\n').slice(-5).join(' | ')}`);
}

/** Stops MLServer's process group (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. */
export async function stopMlserver(server: Mlserver): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
