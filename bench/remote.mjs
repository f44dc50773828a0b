#!/usr/bin/env node
// Local workers against `--endpoint` on the repository's Ray Serve app, side by side: for each server setup (1 replica,
// 2 replicas, 2 nodes with one replica each; binary tensors and JSON tensors), it starts the server, then alternates a
// local run and a remote run of the same generated snapshot (autoencoder) --rounds times, and stops the server.
// rows/s is the run's timing JSON `rowsPerSec`; the table gives medians and ranges. Local runs are repeated for every
// setup so that each comparison is made in the same minutes. A benchmark, not a test.
// Usage: npm run build && node bench/remote.mjs [--rows 200000] [--rounds 5]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchArgs, positiveInteger } from './bench-args.mjs';
import { root, startCluster, startLocal, stopServer } from './serve-control.mjs';

const USAGE = 'usage: npm run build && node bench/remote.mjs [--rows 200000] [--rounds 5]';
const values = parseBenchArgs(USAGE, { rows: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '5' } });
const rounds = positiveInteger(USAGE, values, 'rounds');
const bin = join(root, 'bin/batch-infer.js');
const manifest = join(root, 'fixtures/models/autoencoder.manifest.json');
const setups = [
  { label: '1 replica', start: (env) => startLocal(1, env) },
  { label: '2 replicas, 1 node', start: (env) => startLocal(2, env) },
  { label: '2 nodes, 1 replica each', start: (env) => startCluster(2, env) },
];

/** One whole run; its timing JSON. */
function runOnce(input, timing, extra) {
  const result = spawnSync(process.execPath, [bin, 'run', input, '-m', manifest, '-o', '/dev/null', '-q', '--timing-json', timing, ...extra], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`batch-infer run ${extra.join(' ')} exited ${result.status}: ${result.stderr.trim().slice(-300)}`);
  return JSON.parse(readFileSync(timing, 'utf8'));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const k = (x) => `${Math.round(x / 1000)}k`;
const summary = (xs) => `${k(median(xs))} (${k(Math.min(...xs))}-${k(Math.max(...xs))})`;

const dir = mkdtempSync(join(tmpdir(), 'bench-remote-'));
const input = join(dir, 'in.csv');
const timing = join(dir, 't.json');
const table = [];
try {
  spawnSync(process.execPath, [bin, 'generate', '--rows', values.rows, '-o', input], { stdio: 'inherit' });
  for (const setup of setups) {
    for (const binary of ['1', '0']) {
      const transport = binary === '1' ? 'binary' : 'JSON';
      const server = setup.start({ BATCH_INFER_SERVE_BINARY: binary });
      try {
        runOnce(input, timing, ['--endpoint', server.url]); // warm the connections and the replicas
        const local = [];
        const remote = [];
        const network = [];
        for (let round = 0; round < rounds; round++) {
          local.push(runOnce(input, timing, []).rowsPerSec);
          const remoteTiming = runOnce(input, timing, ['--endpoint', server.url]);
          remote.push(remoteTiming.rowsPerSec);
          network.push(remoteTiming.networkMs);
        }
        const row = { setup: setup.label, transport, remote: summary(remote), local: summary(local), ratio: (median(remote) / median(local)).toFixed(2), networkMs: Math.round(median(network)) };
        table.push(row);
        console.error(JSON.stringify(row));
      } finally {
        stopServer(server);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${values.rows} rows, autoencoder, ${rounds} rounds (local and remote alternated); rows/s median (min-max)\n`);
console.log('| server | tensors | remote rows/s | local rows/s, same minutes | remote / local | networkMs (median, summed over chunks) |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of table) console.log(`| ${r.setup} | ${r.transport} | ${r.remote} | ${r.local} | ${r.ratio} | ${r.networkMs} |`);
