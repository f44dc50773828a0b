import type { Command } from 'commander';
import { BatchInferError, ExitCode } from '../errors.js';
import { resolveRunOptions } from '../config/options.js';
import { formatExplained } from '../config/read-options.js';
import { gatherOptions } from './command-options.js';
import { runScheduledJob } from './scheduled-job.js';
import { filesRead, flagFile, refuseSharedFiles, sideFilesWritten } from '../output/output-paths.js';
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
  // The chunk size the run will use when it is fixed; a balanced one is known once the input's size is, and the
  // summary event and the timing JSON report it.
  const chunking = resolved.run.balanceFor === undefined ? { chunkSize: resolved.run.chunkSize } : { chunkSizeTarget: resolved.run.chunkSize, isChunkSizeBalanced: true };
  return runScheduledJob({ command: 'run', ...resolved }, { input: input ?? 'stdin', workers: resolved.run.workers, ...chunking }, async (job) => {
    const progress = createRunProgress(resolved.isShowProgress && resolved.logFormat === 'human');
    let timing: RunTiming;
    try {
      timing = await runSnapshot(
        { ...resolved.run, signal: job.signal },
        {
          onProgress: (p) => progress.update(p),
          onPhase: (phase, fields) => (phase === 'notice' ? job.notice(String(fields.message)) : job.log.event(phase, fields)),
        },
      );
    } finally {
      progress.stop();
    }
    job.log.event('summary', { ...timing });
    if (!resolved.isQuiet && resolved.logFormat === 'human') process.stderr.write(describeRun(timing, resolved.run.rejects));
    if (timing.identical === false) {
      throw new BatchInferError('RESULTS_DIFFER', 'sequential and parallel predictions differ');
    }
    return {
      timing,
      rowsIn: timing.rows,
      rowsScored: timing.rowsOut,
      rowsRejected: timing.rowsRejected,
      phasesMs: { startup: timing.startupMs, warm_up: timing.warmUpMs, parallel: timing.parallelMs, wall: timing.wallMs, ...(timing.sequentialMs === undefined ? {} : { sequential: timing.sequentialMs }) },
      inferMsByModel: timing.inferMsByModel ?? {},
      ...(timing.requests === undefined ? {} : { remote: { requests: timing.requests, retries: timing.requestRetries ?? 0, chunksRefused: timing.chunksRefused ?? 0 } }),
      exitCode: exitCodeFor(timing),
    };
  });
}

/** The timing table and what people must know about the rows and the deadline. */
function describeRun(timing: RunTiming, rejects: unknown): string {
  let text = formatTimingTable(timing);
  if (timing.rowsRejected > 0) {
    const where = rejects === undefined ? ' (use --rejects FILE to keep them)' : ` (written to ${String(rejects)})`;
    text += `batch-infer: ${timing.rowsRejected} of ${timing.rows} rows rejected${where}\n`;
  }
  if (timing.deadlineExceeded === true) {
    const what = timing.deadlineMode === 'abort' ? 'stopped taking chunks; unscored rows are rejects with reason deadline' : 'finished anyway';
    text += `batch-infer: deadline passed, overran by ${Math.round(timing.overrunMs ?? 0)} ms (${what})\n`;
  }
  return text;
}
