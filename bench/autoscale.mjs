#!/usr/bin/env node
// Shows the Ray Serve app autoscaling: starts serve/start-local.sh with the shipped autoscaling_config, drives load
// with several `batch-infer run --endpoint` clients at once (each one a loop of whole runs), then goes idle, and polls
// the replicas every second (serve/replica-states.py: what `serve status` shows). Prints each change of the replica
// counts with its time, and a summary. Stops everything it started. A demonstration, not a test.
// Usage: npm run build && node bench/autoscale.mjs [--clients 4] [--load 60] [--idle 60] [--rows 200000]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchArgs } from './bench-args.mjs';
import { root, startLocal, stopServer, watchReplicas } from './serve-control.mjs';

const values = parseBenchArgs('usage: npm run build && node bench/autoscale.mjs [--clients 4] [--load 60] [--idle 60] [--rows 200000]', { clients: { type: 'string', default: '4' }, load: { type: 'string', default: '60' }, idle: { type: 'string', default: '60' }, rows: { type: 'string', default: '200000' } });
const clients = Number(values.clients);
const loadSeconds = Number(values.load);
const idleSeconds = Number(values.idle);
const bin = join(root, 'bin/batch-infer.js');
const manifest = join(root, 'fixtures/models/autoencoder.manifest.json');

function runOnce(input, url) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'run', input, '-m', manifest, '--endpoint', url, '-o', '/dev/null', '-q', '--retries', '5'], { stdio: 'ignore' });
    child.on('exit', (code) => resolve(code));
  });
}

/** One client: whole runs back to back until the deadline. Returns the runs' exit codes. */
async function loopClient(input, url, until) {
  const codes = [];
  while (Date.now() < until) codes.push(await runOnce(input, url));
  return codes;
}

const dir = mkdtempSync(join(tmpdir(), 'autoscale-'));
let server;
let watcher;
try {
  const input = join(dir, 'in.csv');
  spawnSync(process.execPath, [bin, 'generate', '--rows', values.rows, '-o', input], { stdio: 'inherit' });
  server = startLocal('auto');
  const trace = [];
  let phase = 'idle';
  let last = '';
  watcher = watchReplicas(server, 1, loadSeconds + idleSeconds + 30, (line) => {
    const states = Object.entries(line.states).map(([state, n]) => `${state} ${n}`).join(', ');
    const key = `${line.target}|${states}`;
    trace.push({ ...line, phase });
    if (key !== last) console.log(`t=${String(line.t).padStart(5)} s  ${phase.padEnd(4)}  target ${line.target}  replicas: ${states}`);
    last = key;
  });
  await new Promise((resolve) => setTimeout(resolve, 5000));
  phase = 'load';
  console.log(`-- load: ${clients} clients x batch-infer run --endpoint (${values.rows} rows each run), ${loadSeconds} s`);
  const until = Date.now() + loadSeconds * 1000;
  const codes = (await Promise.all(Array.from({ length: clients }, () => loopClient(input, server.url, until)))).flat();
  phase = 'idle';
  console.log(`-- idle: ${codes.length} runs done, exit codes ${JSON.stringify(Object.fromEntries(codes.reduce((m, c) => m.set(c, (m.get(c) ?? 0) + 1), new Map())))}; ${idleSeconds} s without load`);
  await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
  const running = (line) => line.states.RUNNING ?? 0;
  const loaded = trace.filter((line) => line.phase === 'load');
  const peak = Math.max(...loaded.map(running));
  const firstPeak = loaded.find((line) => running(line) === peak);
  const end = trace.at(-1);
  console.log(`summary: RUNNING replicas 1 -> ${peak} (first at t=${firstPeak?.t} s, load began at t=${loaded[0]?.t} s) -> ${end ? running(end) : '?'} at t=${end?.t} s`);
} finally {
  watcher?.kill();
  if (server !== undefined) stopServer(server);
  rmSync(dir, { recursive: true, force: true });
}
