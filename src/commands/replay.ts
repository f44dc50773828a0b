import type { Command } from 'commander';
import { BatchInferError, ExitCode } from '../errors.js';
import { findInputs } from '../replay/find-inputs.js';
import { acquireLock } from './lock.js';
import { createRunLog } from './run-log.js';
import { resolveReplayOptions } from '../config/options.js';
import { formatExplained } from '../config/read-options.js';
import { createReplayProgress } from '../terminal/progress.js';
import { filesRead, refuseSharedFiles, sideFilesWritten } from '../output/output-paths.js';
import { commitJson, openTimingJson, type OutputSink } from '../output/write-output.js';
import { filesWrittenByReplay, runReplay, type ReplaySummary } from '../replay/run-replay.js';
import { formatReplaySummary } from '../terminal/summary-tables.js';
import { gatherOptions } from './command-options.js';
import { onSignals } from './signals.js';

/** Exit code when some snapshots failed (the others were scored). */
export const EXIT_SNAPSHOTS_FAILED = 4;

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
  refuseSharedFiles(
    [...filesWrittenByReplay(inputs, resolved.outDir, resolved.run.outputFormat), ...sideFilesWritten(resolved)],
    filesRead(inputs.map(({ path }) => path), resolved.run.manifest, configFile),
  );
  const log = createRunLog(resolved.logFormat);
  const lock = resolved.lock === undefined ? undefined : acquireLock(resolved.lock);
  const controller = new AbortController();
  const removeSignalHandlers = onSignals(controller);
  const bars = createReplayProgress(resolved.isShowProgress && resolved.logFormat === 'human', inputs.length);
  let finished = 0;
  let rowsSoFar = 0;
  let summary: ReplaySummary;
  let timingJson: OutputSink | undefined;
  log.event('start', { snapshots: inputs.length, workers: resolved.run.workers });
  try {
    timingJson = openTimingJson(resolved.timingJson);
    summary = await runReplay(
      {
        inputs,
        outDir: resolved.outDir,
        isResume: resolved.isResume,
        manifest: resolved.run.manifest,
        workers: resolved.run.workers,
        isolation: resolved.run.isolation,
        inputFormat: resolved.run.input.format,
        outputFormat: resolved.run.outputFormat,
        parser: resolved.run.parser,
        batchRows: resolved.run.batchRows,
        chunkSize: resolved.run.chunkSize,
        balanceFor: resolved.run.balanceFor,
        maxInFlight: resolved.run.maxInFlight,
        maxRecordBytes: resolved.run.maxRecordBytes,
        retries: resolved.run.retries,
        chunkTimeoutMs: resolved.run.chunkTimeoutMs,
        warmUp: resolved.run.warmUp,
        signal: controller.signal,
      },
      {
        onSnapshotStart: (_index, input) => bars.startSnapshot(input),
        onProgress: (p) => bars.update(p),
        onSnapshotDone: (result) => {
          finished++;
          rowsSoFar += result.rows;
          bars.snapshotDone(finished, rowsSoFar);
          log.event('snapshot', { ...result });
          // A failed snapshot is an error: shown even with --quiet.
          if (result.status === 'failed' && resolved.logFormat === 'human') {
            process.stderr.write(`batch-infer: skipped ${result.input}: ${result.error}\n`);
          }
        },
      },
    );
  } catch (error) {
    timingJson?.abort();
    throw error;
  } finally {
    bars.stop();
    removeSignalHandlers();
    lock?.release();
  }
  if (timingJson !== undefined) await commitJson(timingJson, summary);
  log.event('summary', { ...summary, results: undefined });
  if (!resolved.isQuiet && resolved.logFormat === 'human') process.stderr.write(formatReplaySummary(summary));
  if (summary.failed > 0) return EXIT_SNAPSHOTS_FAILED;
  return summary.rowsRejected > 0 ? ExitCode.rowsRejected : ExitCode.ok;
}
