/** Measures a snapshot's timed phase and assembles its RunTiming (the timing JSON's fields, in their order). */

import type { PoolStarted } from '../pool/scoring-pool.js';
import type { Deadline } from './snapshot-options.js';
import type { SnapshotTotals } from './snapshot-totals.js';
import type { RunTiming } from './timing.js';

/** The parallel phase: its wall time, and how busy this thread was meanwhile. */
export class ParallelClock {
  #start = performance.now();
  #mainLoop = performance.eventLoopUtilization();

  /** Starts again (after the warm-up, which is timed apart). */
  restart(): void {
    this.#start = performance.now();
    this.#mainLoop = performance.eventLoopUtilization();
  }

  stop(): { parallelMs: number; mainBusyMs: number } {
    const parallelMs = performance.now() - this.#start;
    // How busy this thread was while the workers scored: reading, cutting, handing out, writing.
    return { parallelMs, mainBusyMs: performance.eventLoopUtilization(this.#mainLoop).active };
  }
}

export interface TimingParts {
  inputName: string;
  totals: SnapshotTotals;
  workers: number;
  chunkSize: number;
  snapshotStart: number;
  firstChunkAt: number | undefined;
  started: PoolStarted;
  warmUpMs: number;
  parallelMs: number;
  mainBusyMs: number;
  deadline: Deadline | undefined;
  isDeadlinePassed: boolean;
  /** Set when a deadline cut reading short: the (compressed) bytes read by then. */
  inputCutAtBytes: number | undefined;
  comparison: Partial<RunTiming>;
}

export function assembleTiming(parts: TimingParts): RunTiming {
  const { totals, parallelMs, deadline } = parts;
  const end = performance.now();
  return {
    input: parts.inputName,
    rows: totals.rows,
    rowsOut: totals.rowsOut,
    rowsRejected: totals.rowsRejected,
    workers: parts.workers,
    chunkSize: parts.chunkSize,
    chunks: totals.chunks,
    retries: totals.retries,
    chunksFailed: totals.chunksFailed,
    wallMs: end,
    snapshotMs: end - parts.snapshotStart,
    firstChunkMs: parts.firstChunkAt ?? end,
    startupMs: parts.started.startupMs,
    warmUpMs: parts.warmUpMs,
    parallelMs,
    busyMs: totals.busyMs,
    mainBusyMs: parts.mainBusyMs,
    parseMs: totals.parseMs,
    inferMs: totals.inferMs,
    inferMsByModel: totals.inferMsByModel,
    rowsPerSec: parallelMs > 0 ? (totals.rows / parallelMs) * 1000 : 0,
    // Filled in by run: a getrusage call per snapshot showed up in replay's profile.
    peakRssMb: 0,
    ...(totals.requests > 0 ? { networkMs: totals.networkMs, serverMs: totals.serverMs, requests: totals.requests, requestRetries: totals.requestRetries, chunksRefused: totals.chunksRefused } : {}),
    parallelism: parallelMs > 0 ? totals.busyMs / parallelMs : 0,
    ...(deadline === undefined ? {} : { deadlineExceeded: parts.isDeadlinePassed, overrunMs: Math.max(0, end - deadline.at), deadlineMode: deadline.mode }),
    ...(parts.inputCutAtBytes === undefined ? {} : { inputCutAtBytes: parts.inputCutAtBytes }),
    ...parts.comparison,
  };
}
