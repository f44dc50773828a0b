/**
 * What every scoring command does around its work, in one place and one order, so that run and replay (and a
 * future serve) behave alike for a scheduler: the log, the heartbeat's start, the lock, the signals, the timing
 * JSON, then the work; then the reject limit, the metrics file and the heartbeat's end, whether the work
 * succeeded or threw. The work itself only scores and reports its figures.
 */

import type { LogFormat } from '../config/options.js';
import { isBeyondRejectLimit, type RejectLimit } from '../config/parse-values.js';
import { describeError, ExitCode, exitCodeOf } from '../errors.js';
import { writeMetricsFile } from '../output/metrics-file.js';
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
  const heartbeat = createHeartbeat(settings.heartbeat, notice);
  const startedAt = performance.now();
  let outcome: JobOutcome | undefined;
  let exitCode: number = ExitCode.ok;
  let failure: unknown;
  let timingJson: OutputSink | undefined;
  let lock: HeldLock | undefined;
  let removeSignalHandlers: () => void = () => undefined;
  await heartbeat.start();
  try {
    checkWritable(settings.metricsFile, '--metrics-file');
    lock = settings.lock === undefined ? undefined : acquireLock(settings.lock);
    const controller = new AbortController();
    removeSignalHandlers = onSignals(controller);
    log.event('start', { ...startFields, lockTakenOver: lock?.wasStale ?? false });
    timingJson = openTimingJson(settings.timingJson);
    outcome = await work({ log, signal: controller.signal, lock, notice });
    if (timingJson !== undefined) await commitJson(timingJson, outcome.timing);
    exitCode = outcome.exitCode;
    if (exitCode <= ExitCode.rowsRejected && isBeyondRejectLimit(settings.maxRejects, outcome.rowsRejected, outcome.rowsIn)) {
      exitCode = ExitCode.tooManyRejects;
      const limit = settings.maxRejects.kind === 'rows' ? `${settings.maxRejects.rows} rows` : `${settings.maxRejects.percent}% of the rows`;
      notice(`${outcome.rowsRejected} of ${outcome.rowsIn} rows rejected, more than --max-rejects (${limit}): the run failed, its output is written`);
    }
  } catch (error) {
    timingJson?.abort();
    failure = error;
    exitCode = exitCodeOf(error);
  } finally {
    removeSignalHandlers();
    lock?.release();
  }
  if (settings.metricsFile !== undefined) {
    try {
      await writeMetricsFile(settings.metricsFile, {
        command: settings.command,
        exitCode,
        rowsIn: outcome?.rowsIn ?? 0,
        rowsScored: outcome?.rowsScored ?? 0,
        rowsRejected: outcome?.rowsRejected ?? 0,
        phasesMs: outcome?.phasesMs ?? { wall: performance.now() - startedAt },
        inferMsByModel: outcome?.inferMsByModel ?? {},
        finishedAt: new Date(),
      });
    } catch (error) {
      // The run's own failure is what the user must see; a metrics failure after a good run is one of its own.
      if (failure === undefined) {
        failure = error;
        exitCode = exitCodeOf(error);
      } else {
        notice(describeError(error));
      }
    }
  }
  await heartbeat.finish(exitCode, summaryOf(outcome, exitCode, failure));
  if (failure !== undefined) throw failure;
  return exitCode;
}
