#!/usr/bin/env node
// Peak memory against input size: streams 10^5, 10^6 and 10^7 generated rows through `batch-infer run` on stdin
// (nothing is written to disk) and reports each run's peak RSS from its timing JSON. A benchmark, not a test.
// Usage: node bench/memory.mjs [--sizes 100000,1000000,10000000] [--manifest FILE]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'batch-infer.js');
const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const sizes = flag('--sizes', '100000,1000000,10000000').split(',').map(Number);
const manifest = flag('--manifest', join(root, 'fixtures/models/autoencoder.manifest.json'));
const dir = mkdtempSync(join(tmpdir(), 'batch-infer-memory-'));

function runOne(rows) {
  return new Promise((resolve, reject) => {
    const timing = join(dir, `t-${rows}.json`);
    const generator = spawn(process.execPath, [bin, 'generate', '--rows', String(rows)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const run = spawn(process.execPath, [bin, 'run', '-', '-m', manifest, '-o', '/dev/null', '--timing-json', timing, '-q', '--format', 'csv'], { stdio: ['pipe', 'inherit', 'inherit'] });
    generator.stdout.pipe(run.stdin);
    const start = Date.now();
    run.on('close', (code) => {
      if (code !== 0) return reject(new Error(`run exited ${code} on ${rows} rows`));
      const t = JSON.parse(readFileSync(timing, 'utf8'));
      resolve({ rows, rowsScored: t.rowsOut, peakRssMb: t.peakRssMb, seconds: (Date.now() - start) / 1000, rowsPerSec: t.rowsPerSec });
    });
  });
}

const results = [];
for (const rows of sizes) {
  const r = await runOne(rows);
  results.push(r);
  console.log(`${String(r.rows).padStart(9)} rows  peak RSS ${r.peakRssMb.toFixed(0).padStart(5)} MiB  ${r.seconds.toFixed(1)} s  (${Math.round(r.rowsPerSec).toLocaleString('en-US')} rows/s, ${r.rowsScored} scored)`);
}
if (results.length >= 2) {
  const [a, b] = results.slice(-2);
  console.log(`peak RSS at ${b.rows} rows / at ${a.rows} rows: ${(b.peakRssMb / a.peakRssMb).toFixed(2)}x`);
}
rmSync(dir, { recursive: true, force: true });
