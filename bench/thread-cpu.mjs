#!/usr/bin/env node
// The CPU time of each thread of a command, from /proc/<pid>/task/*/stat (Linux), sampled every 10 ms until the
// command exits: where a run's CPU goes when the cores are shared between the main thread, the workers and
// Node's helper threads (garbage collection, file I/O). Times come in the kernel's clock ticks (USER_HZ, 100 per
// second on Linux).
// Usage: node bench/thread-cpu.mjs -- node bin/batch-infer.js replay DIR -m MANIFEST --out-dir OUT -q
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const separator = process.argv.indexOf('--');
const [command, ...args] = separator === -1 ? [] : process.argv.slice(separator + 1);
if (command === undefined) {
  process.stderr.write('usage: node bench/thread-cpu.mjs -- COMMAND [ARGS...]\n');
  process.exit(2);
}
// Fields 14 and 15 of stat (utime, stime), counted after the ')' that ends the thread's name.
const TICK_MS = 10;
const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
const threads = new Map();
const sample = () => {
  let tids;
  try {
    tids = readdirSync(`/proc/${child.pid}/task`);
  } catch {
    return;
  }
  for (const tid of tids) {
    try {
      const fields = readFileSync(`/proc/${child.pid}/task/${tid}/stat`, 'utf8').split(')').at(-1).trim().split(' ');
      threads.set(tid, { user: Number(fields[11]) * TICK_MS, system: Number(fields[12]) * TICK_MS });
    } catch {
      // The thread ended between the listing and the read: its last sample stands.
    }
  }
};
const timer = setInterval(sample, 10);
child.on('exit', (code) => {
  clearInterval(timer);
  const rows = [...threads].map(([tid, t]) => ({ thread: tid === String(child.pid) ? 'main' : tid, ...t, total: t.user + t.system }));
  rows.sort((a, b) => b.total - a.total);
  for (const r of rows) if (r.total > 0) process.stdout.write(`${r.thread.padStart(8)}  ${String(r.total).padStart(6)} ms  (user ${r.user}, system ${r.system})\n`);
  process.stdout.write(`   total  ${String(rows.reduce((sum, r) => sum + r.total, 0)).padStart(6)} ms; exit ${code}\n`);
  process.exitCode = code ?? 1;
});
