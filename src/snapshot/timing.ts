/**
 * The figures a run reports: for people, a short table on stderr; for machines, the timing JSON.
 */

export interface RunTiming {
  input: string;
  rows: number;
  rowsOut: number;
  rowsRejected: number;
  workers: number;
  chunkSize: number;
  chunks: number;
  /** Extra tries of chunks whose worker failed; chunks that failed every try (their rows are rejects). */
  retries: number;
  chunksFailed: number;
  /** Process start to the end of the run. */
  wallMs: number;
  /** This snapshot, from opening it to its output being complete. */
  snapshotMs: number;
  /** Process start to the first chunk handed to a worker (cold start). */
  firstChunkMs: number;
  /** Pool creation until every worker had loaded its models. */
  startupMs: number;
  /** First chunk handed out until the last chunk's result was written. */
  parallelMs: number;
  /** Each worker scoring a sample of the first rows before the timed phase (0 with --no-warm-up). */
  warmUpMs: number;
  /** Worker time spent on chunks, summed over workers. */
  busyMs: number;
  /** Main-thread time spent during the parallel phase (reading, cutting, handing out chunks, writing). */
  mainBusyMs: number;
  parseMs: number;
  inferMs: number;
  rowsPerSec: number;
  /** With --endpoint: time in inference requests and the server's own time, summed over chunks. */
  networkMs?: number;
  serverMs?: number;
  /** Peak resident memory of the process so far, in MiB. */
  peakRssMb: number;
  /** busyMs / parallelMs: how many workers were busy on average. */
  parallelism: number;
  /** With --deadline: whether the budget ran out, by how much the run went past it, and what was done. */
  deadlineExceeded?: boolean;
  overrunMs?: number;
  deadlineMode?: 'finish' | 'abort';
  /** --compare: the baseline's first pass, and speedup = sequentialMs / parallelMs (both cold). */
  sequentialMs?: number;
  speedup?: number;
  efficiency?: number;
  /** --compare: second passes of both over the same chunks (both warm). */
  steadySequentialMs?: number;
  steadyParallelMs?: number;
  steadySpeedup?: number;
  steadyEfficiency?: number;
  identical?: boolean;
}

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
