/**
 * --metrics-file: the last run's figures in the Prometheus text exposition format, for node_exporter's textfile
 * collector (which reads every *.prom file in a directory, so the file is replaced whole, never written in place).
 * A scheduled job is watched by these, not by its logs: an alert on the last success's age catches a job that
 * stopped running as well as one that keeps failing.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Gauge, Registry } from 'prom-client';
import { openFileSink } from './write-output.js';

export interface RunMetrics {
  command: string;
  exitCode: number;
  rowsIn: number;
  rowsScored: number;
  rowsRejected: number;
  /** Phase durations in milliseconds (startup, warm_up, parallel, wall, ...); a phase that did not run is left out. */
  phasesMs: Readonly<Record<string, number>>;
  /** Inference time per model, summed over the workers, in milliseconds. */
  inferMsByModel: Readonly<Record<string, number>>;
  /** With --endpoint: inference requests, their extra tries, and chunks whose rows the server refused. */
  remote?: { requests: number; retries: number; chunksRefused: number };
  /** When the run ended. */
  finishedAt: Date;
}

/** Exit statuses after which the output was written: every row scored (0), or some rows rejected (1). */
export function isSuccessfulExit(exitCode: number): boolean {
  return exitCode === 0 || exitCode === 1;
}

const LAST_SUCCESS = 'batch_infer_last_success_timestamp_seconds';

interface ParsedFamily {
  name: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}

/** The last success recorded in an earlier file of ours for this command, if there is one and it reads. */
export function readLastSuccess(path: string, command: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => ParsedFamily[];
  try {
    const family = parse(text).find((f) => f.name === LAST_SUCCESS);
    const value = Number(family?.metrics.find((m) => m.labels?.command === command)?.value);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  } catch {
    return undefined; // Not a file of ours, or cut short: start afresh.
  }
}

export async function formatMetrics(metrics: RunMetrics, lastSuccess: number | undefined): Promise<string> {
  const registry = new Registry();
  const labelNames = ['command'] as const;
  const gauge = <L extends string>(name: string, help: string, extra: readonly L[] = []): Gauge<'command' | L> =>
    new Gauge({ name, help, labelNames: [...labelNames, ...extra], registers: [registry] });
  const command = metrics.command;
  const finished = metrics.finishedAt.getTime() / 1000;
  gauge('batch_infer_last_run_timestamp_seconds', 'When the last run ended, in seconds since the epoch.').set({ command }, finished);
  gauge('batch_infer_last_run_exit_status', 'Exit status of the last run (0 all scored, 1 some rows rejected; see README).').set({ command }, metrics.exitCode);
  const success = isSuccessfulExit(metrics.exitCode) ? finished : lastSuccess;
  if (success !== undefined) gauge(LAST_SUCCESS, 'When a run last ended with its output written (exit 0 or 1).').set({ command }, success);
  gauge('batch_infer_last_run_rows_in', 'Input rows of the last run.').set({ command }, metrics.rowsIn);
  gauge('batch_infer_last_run_rows_scored', 'Rows of the last run written with predictions.').set({ command }, metrics.rowsScored);
  gauge('batch_infer_last_run_rows_rejected', 'Rows of the last run written to the rejects.').set({ command }, metrics.rowsRejected);
  const phases = gauge('batch_infer_last_run_phase_seconds', 'Duration of each phase of the last run.', ['phase'] as const);
  for (const [phase, ms] of Object.entries(metrics.phasesMs)) phases.set({ command, phase }, ms / 1000);
  const infer = gauge('batch_infer_last_run_model_inference_seconds', 'Inference time per model in the last run, summed over workers.', ['model'] as const);
  for (const [model, ms] of Object.entries(metrics.inferMsByModel)) infer.set({ command, model }, ms / 1000);
  if (metrics.remote !== undefined) {
    gauge('batch_infer_last_run_remote_requests', 'Inference requests of the last run (--endpoint).').set({ command }, metrics.remote.requests);
    gauge('batch_infer_last_run_remote_request_retries', 'Extra tries of inference requests in the last run (--endpoint).').set({ command }, metrics.remote.retries);
    gauge('batch_infer_last_run_remote_chunks_refused', 'Chunks of the last run whose rows the server refused (--endpoint).').set({ command }, metrics.remote.chunksRefused);
  }
  return registry.metrics();
}

/** Writes the file whole under a temporary name and renames it into place: a collector never reads half of it. */
export async function writeMetricsFile(path: string, metrics: RunMetrics): Promise<void> {
  const text = await formatMetrics(metrics, readLastSuccess(path, metrics.command));
  const sink = openFileSink(path, '--metrics-file');
  try {
    await sink.write(text);
    await sink.commit();
  } catch (error) {
    sink.abort();
    throw error;
  }
}
