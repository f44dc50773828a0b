/**
 * The figures a snapshot's run reports: the timing JSON for machines, and the source of the table on stderr
 * (terminal/summary-tables.ts) for people.
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
  /** inferMs per model, by the manifest's model names. */
  inferMsByModel?: Record<string, number>;
  rowsPerSec: number;
  /** With --endpoint: time in inference requests and the server's own time, summed over chunks. */
  networkMs?: number;
  serverMs?: number;
  /** With --endpoint: inference requests sent, their extra tries, and chunks whose rows the server refused. */
  requests?: number;
  requestRetries?: number;
  chunksRefused?: number;
  /** Peak resident memory of the process so far, in MiB. */
  peakRssMb: number;
  /** busyMs / parallelMs: how many workers were busy on average. */
  parallelism: number;
  /** With --deadline: whether the budget ran out, by how much the run went past it, and what was done. */
  deadlineExceeded?: boolean;
  overrunMs?: number;
  deadlineMode?: 'finish' | 'abort';
  /**
   * With --on-deadline abort: reading stopped at the deadline after this many (compressed) bytes. Rows read by
   * then are rejects with reason deadline; what was not read is not counted as rows.
   */
  inputCutAtBytes?: number;
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
