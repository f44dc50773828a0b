import type { Command } from 'commander';
import { BatchInferError, ExitCode, describeError } from '../errors.js';
import { acquireLock } from './lock.js';
import { createRunLog } from './run-log.js';
import { resolveRunOptions } from '../config/options.js';
import { formatExplained } from '../config/read-options.js';
import { gatherOptions } from './command-options.js';
import { onSignals } from './signals.js';
import { filesRead, flagFile, refuseSharedFiles, sideFilesWritten } from '../output/output-paths.js';
import { commitJson, openTimingJson, type OutputSink } from '../output/write-output.js';
import { createRunProgress } from '../terminal/progress.js';
import { runSnapshot } from '../snapshot/run-snapshot.js';
import { formatTimingTable } from '../terminal/summary-tables.js';
import type { RunTiming } from '../snapshot/timing.js';

export function exitCodeFor(timing: RunTiming): number {
  if (timing.deadlineExceeded === true) return ExitCode.deadline;
  return timing.rowsRejected > 0 ? ExitCode.rowsRejected : ExitCode.ok;
}

/** `batch-infer run`: returns the exit code. */
export async function runCommand(input: string | undefined, command: Command): Promise<number> {
  const { values, configFile } = gatherOptions(command, 'run');
  const resolved = resolveRunOptions(input, values, process.stderr.isTTY === true);
  if (values.printConfig.value) {
    process.stdout.write(formatExplained(resolved.explained, configFile));
    return ExitCode.ok;
  }
  // Before the pool starts or any row is read: an output must not destroy an input or another output.
  refuseSharedFiles(
    [...flagFile('--output', resolved.run.output), ...flagFile('--rejects', resolved.run.rejects), ...sideFilesWritten(resolved)],
    filesRead([input], resolved.run.manifest, configFile),
  );
  const log = createRunLog(resolved.logFormat);
  const lock = resolved.lock === undefined ? undefined : acquireLock(resolved.lock);
  const controller = new AbortController();
  const removeSignalHandlers = onSignals(controller);
  const progress = createRunProgress(resolved.isShowProgress && resolved.logFormat === 'human');
  log.event('start', { input: input ?? 'stdin', workers: resolved.run.workers, chunkSize: resolved.run.chunkSize, lockTakenOver: lock?.wasStale ?? false });
  let timing: RunTiming;
  let timingJson: OutputSink | undefined;
  try {
    timingJson = openTimingJson(resolved.timingJson);
    timing = await runSnapshot(
      { ...resolved.run, signal: controller.signal },
      {
        onProgress: (p) => progress.update(p),
        onPhase: (phase, fields) => {
          log.event(phase, fields);
          if (phase === 'notice' && !resolved.isQuiet && resolved.logFormat === 'human') process.stderr.write(`batch-infer: ${String(fields.message)}\n`);
        },
      },
    );
  } catch (error) {
    timingJson?.abort();
    log.event('error', { message: describeError(error), code: error instanceof BatchInferError ? error.code : 'INTERNAL' });
    throw error;
  } finally {
    progress.stop();
    removeSignalHandlers();
    lock?.release();
  }
  if (timingJson !== undefined) await commitJson(timingJson, timing);
  log.event('summary', { ...timing });
  if (!resolved.isQuiet && resolved.logFormat === 'human') {
    process.stderr.write(formatTimingTable(timing));
    if (timing.rowsRejected > 0) {
      const where = resolved.run.rejects === undefined ? ' (use --rejects FILE to keep them)' : ` (written to ${String(resolved.run.rejects)})`;
      process.stderr.write(`batch-infer: ${timing.rowsRejected} of ${timing.rows} rows rejected${where}\n`);
    }
    if (timing.deadlineExceeded === true) {
      const what = timing.deadlineMode === 'abort' ? 'stopped taking chunks; unscored rows are rejects with reason deadline' : 'finished anyway';
      process.stderr.write(`batch-infer: deadline passed, overran by ${Math.round(timing.overrunMs ?? 0)} ms (${what})\n`);
    }
  }
  if (timing.identical === false) {
    throw new BatchInferError('RESULTS_DIFFER', 'sequential and parallel predictions differ', { exitCode: ExitCode.usage });
  }
  return exitCodeFor(timing);
}
