import type { Command } from 'commander';
import { BatchInferError, ExitCode } from '../errors.js';
import { findInputs } from '../replay/find-inputs.js';
import { resolveReplayOptions, type ResolvedReplay } from '../config/options.js';
import { formatExplained } from '../config/read-options.js';
import { createReplayProgress } from '../terminal/progress.js';
import { filesRead, refuseSharedFiles, sideFilesWritten } from '../output/output-paths.js';
import { filesWrittenByReplay, missingOutDirs, runReplay, type ReplayOptions, type ReplaySummary } from '../replay/run-replay.js';
import { formatReplaySummary } from '../terminal/summary-tables.js';
import { gatherOptions } from './command-options.js';
import { runScheduledJob } from './scheduled-job.js';

/** `batch-infer replay`: returns the exit code. */
export async function replayCommand(patterns: string[], command: Command): Promise<number> {
  const { values, configFile } = gatherOptions(command, 'replay');
  const resolved = resolveReplayOptions(values, process.stderr.isTTY === true);
  if (values.printConfig.value) {
    process.stdout.write(formatExplained(resolved.explained, configFile));
    return ExitCode.ok;
  }
  const inputs = findInputs(patterns, { from: resolved.from, to: resolved.to });
  if (inputs.length === 0) throw new BatchInferError('INPUT_NOT_FOUND', 'no snapshot to replay (check the inputs and --from/--to)');
  // Before the checks below, which read the out dir: a path through a file is one line here. (It is created
  // once the side files are open, so that a bad --timing-json leaves nothing behind.)
  missingOutDirs(resolved.outDir);
  refuseSharedFiles(
    [...filesWrittenByReplay(inputs, resolved.outDir, resolved.run.outputFormat), ...sideFilesWritten(resolved)],
    filesRead(inputs.map(({ path }) => path), resolved.run.manifest, configFile),
  );
  return runScheduledJob({ command: 'replay', ...resolved }, { snapshots: inputs.length, workers: resolved.run.workers }, async (job) => {
    const bars = createReplayProgress(resolved.isShowProgress && resolved.logFormat === 'human', inputs.length);
    let finished = 0;
    let rowsSoFar = 0;
    let summary: ReplaySummary;
    try {
      summary = await runReplay(
        { ...replayOptionsOf(resolved), inputs, signal: job.signal },
        {
          onSnapshotStart: (_index, input) => bars.startSnapshot(input),
          onNotice: (message) => job.notice(message),
          onProgress: (p) => bars.update(p),
          onSnapshotDone: (result) => {
            finished++;
            rowsSoFar += result.rows;
            bars.snapshotDone(finished, rowsSoFar);
            job.log.event('snapshot', { ...result });
            // A failed snapshot is an error: shown even with --quiet.
            if (result.status === 'failed' && resolved.logFormat === 'human') {
              process.stderr.write(`batch-infer: skipped ${result.input}: ${result.error}\n`);
            }
          },
        },
      );
    } finally {
      bars.stop();
    }
    job.log.event('summary', { ...summary, results: undefined });
    if (!resolved.isQuiet && resolved.logFormat === 'human') process.stderr.write(formatReplaySummary(summary));
    return {
      timing: summary,
      rowsIn: summary.rows,
      rowsScored: summary.rowsOut,
      rowsRejected: summary.rowsRejected,
      phasesMs: { startup: summary.startupMs, wall: summary.wallMs },
      inferMsByModel: {},
      exitCode: summary.failed > 0 ? ExitCode.snapshotsFailed : summary.rowsRejected > 0 ? ExitCode.rowsRejected : ExitCode.ok,
    };
  });
}

/** What runReplay takes of the resolved options (the inputs and the signal come from the command). */
function replayOptionsOf(resolved: ResolvedReplay): Omit<ReplayOptions, 'inputs' | 'signal'> {
  const run = resolved.run;
  return {
    outDir: resolved.outDir,
    isResume: resolved.isResume,
    manifest: run.manifest,
    workers: run.workers,
    isolation: run.isolation,
    engine: run.engine,
    inputFormat: run.input.format,
    outputFormat: run.outputFormat,
    parser: run.parser,
    batchRows: run.batchRows,
    chunkSize: run.chunkSize,
    balanceFor: run.balanceFor,
    maxInFlight: run.maxInFlight,
    maxRecordBytes: run.maxRecordBytes,
    retries: run.retries,
    chunkTimeoutMs: run.chunkTimeoutMs,
    warmUp: run.warmUp,
  };
}
