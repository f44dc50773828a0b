/** The running sums of a snapshot's chunks, as they are handed out and written. */

import type { ChunkScored } from '../scoring/score-chunk.js';

export interface SnapshotTotals {
  rows: number;
  rowsOut: number;
  rowsRejected: number;
  busyMs: number;
  parseMs: number;
  inferMs: number;
  inferMsByModel: Record<string, number>;
  networkMs: number;
  serverMs: number;
  /** With --endpoint: requests, their extra tries, chunks the server refused and the first refusal's reason. */
  requests: number;
  requestRetries: number;
  chunksRefused: number;
  firstRefusal: string | undefined;
  /** Chunks handed out; extra tries; chunks that failed every try. */
  chunks: number;
  retries: number;
  chunksFailed: number;
}

export function createTotals(): SnapshotTotals {
  return { rows: 0, rowsOut: 0, rowsRejected: 0, busyMs: 0, parseMs: 0, inferMs: 0, inferMsByModel: {}, networkMs: 0, serverMs: 0, requests: 0, requestRetries: 0, chunksRefused: 0, firstRefusal: undefined, chunks: 0, retries: 0, chunksFailed: 0 };
}

/** Adds a written chunk's figures. */
export function addWritten(totals: SnapshotTotals, result: ChunkScored): void {
  totals.rows += result.rowsIn;
  totals.rowsOut += result.rowsOut;
  totals.rowsRejected += result.rowsRejected;
  totals.busyMs += result.busyMs;
  totals.parseMs += result.parseMs;
  totals.inferMs += result.inferMs;
  for (const [model, ms] of Object.entries(result.inferMsByModel ?? {})) totals.inferMsByModel[model] = (totals.inferMsByModel[model] ?? 0) + ms;
  totals.networkMs += result.networkMs;
  totals.serverMs += result.serverMs;
  totals.requests += result.requests;
  totals.requestRetries += result.requestRetries;
  if (result.serverRefusal !== undefined) {
    totals.chunksRefused++;
    totals.firstRefusal ??= result.serverRefusal;
  }
}
