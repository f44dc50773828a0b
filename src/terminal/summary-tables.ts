/**
 * The tables printed on stderr after a run or a replay, for people; machines read the timing JSON instead.
 */

import type { ReplaySummary } from '../replay/run-replay.js';
import type { RunTiming } from '../snapshot/timing.js';

function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(1)} ms`;
}

/** The human table printed on stderr after a run. */
export function formatTimingTable(t: RunTiming): string {
  const rows: [string, string][] = [
    ['rows', `${t.rows} in, ${t.rowsOut} scored, ${t.rowsRejected} rejected`],
    ['chunks', `${t.chunks} of up to ${t.chunkSize} rows`],
    ['workers', String(t.workers)],
    ['wall time', ms(t.wallMs)],
    ['startup', `${ms(t.startupMs)} (pool and model load)`],
    ['warm-up', `${ms(t.warmUpMs)} (each worker scores a sample of the first rows until it stops getting faster)`],
    ['parallel phase', ms(t.parallelMs)],
    ['main thread', `${ms(t.mainBusyMs)} busy during the parallel phase (read, cut, hand out, write)`],
    ['rows/s', Math.round(t.rowsPerSec).toLocaleString('en-US')],
    ['peak RSS', `${t.peakRssMb.toFixed(0)} MiB`],
    ['parallelism', `${t.parallelism.toFixed(2)} (worker busy ${ms(t.busyMs)}: parse ${ms(t.parseMs)}, infer ${ms(t.inferMs)})`],
  ];
  if (t.networkMs !== undefined) {
    rows.push(['remote', `${ms(t.networkMs)} in requests (server ${ms(t.serverMs ?? 0)}), summed over chunks`]);
    rows.push(['requests', `${t.requests ?? 0} sent, ${t.requestRetries ?? 0} retried; ${t.chunksRefused ?? 0} chunks refused by the server (their rows are rejects)`]);
  }
  if (t.sequentialMs !== undefined) {
    rows.push(['sequential', `${ms(t.sequentialMs)} (same chunks, one session, main thread, first pass)`]);
    rows.push(['speedup', `${(t.speedup ?? 0).toFixed(2)}x, efficiency ${((t.efficiency ?? 0) * 100).toFixed(0)}% of ${t.workers} workers (this run's first pass against the baseline's)`]);
    rows.push(['steady state', `${ms(t.steadySequentialMs ?? 0)} sequential vs ${ms(t.steadyParallelMs ?? 0)} parallel on second passes: ${(t.steadySpeedup ?? 0).toFixed(2)}x, efficiency ${((t.steadyEfficiency ?? 0) * 100).toFixed(0)}%`]);
    rows.push(['identical', t.identical ? 'yes: every sequential and parallel pass gave the same predictions' : 'NO: predictions differ']);
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  return `${rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}

export function formatReplaySummary(summary: ReplaySummary): string {
  const rows: [string, string][] = [
    ['snapshots', `${summary.snapshots}: ${summary.done} scored, ${summary.skipped} skipped (already complete), ${summary.failed} failed`],
    ['rows', `${summary.rows} in, ${summary.rowsOut} scored, ${summary.rowsRejected} rejected`],
    ['pool starts', `${summary.poolStarts} (startup ${summary.startupMs.toFixed(0)} ms)`],
    ['wall time', `${(summary.wallMs / 1000).toFixed(2)} s`],
    ['rows/s', Math.round(summary.rowsPerSec).toLocaleString('en-US')],
    ['slowest', summary.slowest === undefined ? '-' : `${summary.slowest.input} (${summary.slowest.ms.toFixed(0)} ms)`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return `${rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}
