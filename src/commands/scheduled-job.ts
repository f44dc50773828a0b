/**
 * What every scoring command does around its work, in one place and one order, so that run and replay (and a
 * future serve) behave alike for a scheduler: the log, the heartbeat's start, the lock, the signals, the timing
 * JSON, then the work; then the reject limit, the metrics file and the heartbeat's end, whether the work
 * succeeded or threw. The work itself only scores and reports its figures.
 */

import type { LogFormat } from '../config/options.js';
import { formatRejectLimit, isBeyondRejectLimit, type RejectLimit } from '../config/parse-values.js';
import { describeError, ExitCode, exitCodeOf } from '../errors.js';
import { writeMetricsFile, type RunMetrics } from '../output/metrics-file.js';
import { commitJson, openFileSink, openTimingJson, type OutputSink } from '../output/write-output.js';
import { createHeartbeat } from './heartbeat.js';
import { acquireLock, type HeldLock } from './lock.js';
import { startRunLog, type RunLog } from './run-log.js';
import { onSignals } from './signals.js';

export interface JobSettings {
  command: 'run' | 'replay';
  logFormat: LogFormat;
  isQuiet: boolean;
  lock: string | undefined;
  timingJson: string | undefined;
  metricsFile: string | undefined;
  heartbeat: string | undefined;
  maxRejects: RejectLimit;
}

/** What the work reports when it is done. */
export interface JobOutcome {
  /** Written to --timing-json. */
  timing: unknown;
  rowsIn: number;
  rowsScored: number;
  rowsRejected: number;
  phasesMs: Record<string, number>;
  inferMsByModel: Record<string, number>;
  remote?: RunMetrics['remote'];
  /** The exit status the rows decide (0, 1, 3, 4): the reject limit may still turn it into a failure. */
  exitCode: number;
}

export interface JobContext {
  log: RunLog;
  /** Aborted by SIGINT or SIGTERM. */
  signal: AbortSignal;
  lock: HeldLock | undefined;
  /** A line for people on stderr (not with -q), or a 'notice' event in JSON logs. */
  notice(message: string): void;
}

function summaryOf(outcome: JobOutcome | undefined, exitCode: number, error: unknown): string {
  if (outcome === undefined) return `exit ${exitCode}: ${describeError(error)}`;
  return `exit ${exitCode}: ${outcome.rowsIn} rows in, ${outcome.rowsScored} scored, ${outcome.rowsRejected} rejected`;
}

/** Opened and given up at once: a missing directory is reported before any work, as for -o. */
function checkWritable(path: string | undefined, flag: string): void {
  if (path !== undefined) openFileSink(path, flag).abort();
}

export async function runScheduledJob(settings: JobSettings, startFields: Record<string, unknown>, work: (job: JobContext) => Promise<JobOutcome>): Promise<number> {
  const log = startRunLog(settings.logFormat);
  const notice = (message: string): void => {
    log.event('notice', { message });
    if (settings.logFormat === 'human' && !settings.isQuiet) process.stderr.write(`batch-infer: ${message}\n`);
  };
  // A run that finds the lock held (exit 75) is no run: the holder reports, so neither its metrics file nor its
  // heartbeat hears of this one (a heartbeat would mark the check down for a normal overlap).
  const lock = settings.lock === undefined ? undefined : acquireLock(settings.lock);
  try {
    return await runReported(settings, { log, notice, lock }, startFields, work);
  } finally {
    lock?.release();
  }
}

/** The job between the lock's take and release: heartbeat, signals, timing JSON, the work, limits, metrics. */
async function runReported(settings: JobSettings, job: Omit<JobContext, 'signal'>, startFields: Record<string, unknown>, work: (job: JobContext) => Promise<JobOutcome>): Promise<number> {
  const heartbeat = createHeartbeat(settings.heartbeat, job.notice);
  const startedAt = performance.now();
  let outcome: JobOutcome | undefined;
  let exitCode: number = ExitCode.ok;
  let failure: unknown;
  let timingJson: OutputSink | undefined;
  let removeSignalHandlers: () => void = () => undefined;
  await heartbeat.start();
  try {
    checkWritable(settings.metricsFile, '--metrics-file');
    const controller = new AbortController();
    removeSignalHandlers = onSignals(controller);
    job.log.event('start', { ...startFields, lockTakenOver: job.lock?.wasStale ?? false });
    timingJson = openTimingJson(settings.timingJson);
    outcome = await work({ ...job, signal: controller.signal });
    if (timingJson !== undefined) await commitJson(timingJson, outcome.timing);
    exitCode = applyRejectLimit(settings.maxRejects, outcome, job.notice);
  } catch (error) {
    timingJson?.abort();
    failure = error;
    exitCode = exitCodeOf(error);
  } finally {
    removeSignalHandlers();
  }
  if (settings.metricsFile !== undefined) {
    const metrics = { command: settings.command, exitCode, rowsIn: outcome?.rowsIn ?? 0, rowsScored: outcome?.rowsScored ?? 0, rowsRejected: outcome?.rowsRejected ?? 0 };
    try {
      await writeMetricsFile(settings.metricsFile, { ...metrics, phasesMs: outcome?.phasesMs ?? { wall: performance.now() - startedAt }, inferMsByModel: outcome?.inferMsByModel ?? {}, ...(outcome?.remote === undefined ? {} : { remote: outcome.remote }), finishedAt: new Date() });
    } catch (error) {
      // The run's own failure is what the user must see; a metrics failure after a good run is one of its own.
      if (failure === undefined) {
        failure = error;
        exitCode = exitCodeOf(error);
      } else {
        job.notice(describeError(error));
      }
    }
  }
  await heartbeat.finish(exitCode, summaryOf(outcome, exitCode, failure));
  if (failure !== undefined) throw failure;
  return exitCode;
}

/** The exit status the rows decide, or 5 when more rows were rejected than --max-rejects allows. */
function applyRejectLimit(limit: RejectLimit, outcome: JobOutcome, notice: (message: string) => void): number {
  if (outcome.exitCode > ExitCode.rowsRejected || !isBeyondRejectLimit(limit, outcome.rowsRejected, outcome.rowsIn)) return outcome.exitCode;
  const allowed = limit.kind === 'rows' ? `${limit.rows} rows` : `${formatRejectLimit(limit)} of the rows`;
  notice(`${outcome.rowsRejected} of ${outcome.rowsIn} rows rejected, more than --max-rejects (${allowed}): the run failed, its output is written`);
  return ExitCode.tooManyRejects;
}
