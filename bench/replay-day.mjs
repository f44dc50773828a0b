#!/usr/bin/env node
// A day of every-minute snapshots: replays 1,440 snapshots of 2,000 rows each through one pool, and scores the
// same 2.88M rows as one file with `run`; prints both throughputs and their ratio. A benchmark, not a test.
// Usage: node bench/replay-day.mjs [--snapshots 1440] [--rows 2000] [--manifest FILE]
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'batch-infer.js');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const snapshots = Number(option('--snapshots', '1440'));
const rows = Number(option('--rows', '2000'));
const manifest = option('--manifest', join(root, 'fixtures/models/autoencoder.manifest.json'));
const work = mkdtempSync(join(tmpdir(), 'batch-infer-day-'));
const inDir = join(work, 'day');
mkdirSync(inDir);
const whole = join(work, 'whole-day.csv');

// One generated snapshot of snapshots x rows, cut into per-minute files (and kept whole for `run`).
const all = spawnSync(process.execPath, [bin, 'generate', '--rows', String(snapshots * rows)], { maxBuffer: 2 ** 31 }).stdout.toString('utf8');
const lines = all.split('\n');
const header = lines[0];
writeFileSync(whole, `${header}\n`);
for (let s = 0; s < snapshots; s++) {
  const minute = new Date(Date.UTC(2026, 10, 29, 0, s)).toISOString().slice(0, 16).replace(':', '-');
  const body = lines.slice(1 + s * rows, 1 + (s + 1) * rows).join('\n');
  writeFileSync(join(inDir, `apm-${minute}.csv`), `${header}\n${body}\n`);
  appendFileSync(whole, `${body}\n`);
}

const replayTiming = join(work, 'replay.json');
const replay = spawnSync(process.execPath, [bin, 'replay', inDir, '-m', manifest, '--out-dir', join(work, 'out'), '--timing-json', replayTiming, '-q'], { encoding: 'utf8' });
if (replay.status !== 0) throw new Error(replay.stderr);
const r = JSON.parse(readFileSync(replayTiming, 'utf8'));
const runTiming = join(work, 'run.json');
const run = spawnSync(process.execPath, [bin, 'run', whole, '-m', manifest, '-o', join(work, 'whole.out.csv'), '--timing-json', runTiming, '-q'], { encoding: 'utf8' });
if (run.status !== 0) throw new Error(run.stderr);
const t = JSON.parse(readFileSync(runTiming, 'utf8'));
// Both from the moment the pool was ready: replay's wall time after its one pool start; run's parallel phase.
const runRate = (t.rows / (t.warmUpMs + t.parallelMs)) * 1000;
console.log(`replay: ${r.snapshots} snapshots, ${r.rows} rows, ${r.poolStarts} pool start, ${(r.wallMs / 1000).toFixed(2)} s, ${Math.round(r.rowsPerSec).toLocaleString('en-US')} rows/s`);
console.log(`run (one file, same rows): ${((t.warmUpMs + t.parallelMs) / 1000).toFixed(2)} s, ${Math.round(runRate).toLocaleString('en-US')} rows/s`);
console.log(`replay / run throughput: ${((r.rowsPerSec / runRate) * 100).toFixed(0)}%`);
rmSync(work, { recursive: true, force: true });
