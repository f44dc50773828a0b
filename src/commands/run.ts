import type { Command } from 'commander';
import { BatchInferError, ExitCode, describeError } from '../errors.js';
import { acquireLock } from '../lock.js';
import { createRunLog } from '../log.js';
import { envName, flagName, layerOptions, readConfigFile, readEnvironment, resolveRunOptions, RUN_OPTION_NAMES, type RawOptions } from '../options.js';
import { filesRead, flagFile, refuseSharedFiles, sideFilesWritten } from '../output/output-paths.js';
import { commitJson, openTimingJson, removeTemporaryFiles, type OutputSink } from '../output/write-output.js';
import { createRunProgress } from '../progress.js';
import { runSnapshot } from '../run-snapshot.js';
import { formatTimingTable, type RunTiming } from '../timing.js';

/** The options given on the command line (not commander's defaults), as raw values. */
export function flagsFromCommand(command: Command): RawOptions {
  const values = command.opts<Record<string, string | boolean>>();
  const out: RawOptions = {};
  for (const name of RUN_OPTION_NAMES) {
    if (command.getOptionValueSource(name) === 'cli' && values[name] !== undefined) out[name] = { value: values[name], source: 'flag' };
  }
  return out;
}

/** --config FILE (or BATCH_INFER_CONFIG), BATCH_INFER_* variables and flags, layered. */
export function gatherOptions(command: Command): { raw: RawOptions; configFile: string | undefined } {
  const values = command.opts<{ config?: string }>();
  const configFile = values.config ?? process.env.BATCH_INFER_CONFIG;
  const config = configFile === undefined ? {} : readConfigFile(configFile);
  return { raw: layerOptions(flagsFromCommand(command), readEnvironment(process.env), config), configFile };
}

/** Stops the run on SIGINT or SIGTERM: it aborts, removes its temporary files and exits 130 or 143. */
export function onSignals(controller: AbortController): () => void {
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const handler = (): void => {
      if (controller.signal.aborted) {
        // A second signal: leave now, still without half-written output.
        removeTemporaryFiles();
        process.exit(signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);
      }
      controller.abort(signal);
      // Chunks on a worker are let finish (tens of ms); should one hang, do not wait for it for ever.
      setTimeout(() => {
        removeTemporaryFiles();
        process.exit(signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);
      }, 10_000).unref();
    };
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  return () => handlers.forEach((off) => off());
}

export function exitCodeFor(timing: RunTiming): number {
  if (timing.deadlineExceeded === true) return ExitCode.deadline;
  return timing.rowsRejected > 0 ? ExitCode.rowsRejected : ExitCode.ok;
}

/** `batch-infer run`: returns the exit code. */
export async function runCommand(input: string | undefined, command: Command): Promise<number> {
  const { raw, configFile } = gatherOptions(command);
  const resolved = resolveRunOptions(input, raw, process.stderr.isTTY === true, configFile);
  if (command.opts<{ printConfig?: boolean }>().printConfig === true) {
    const width = Math.max(...Object.keys(resolved.explained).map((k) => flagName(k).length));
    for (const [name, { value, source }] of Object.entries(resolved.explained)) {
      const where = source === 'env' ? `env ${envName(name)}` : source === 'config' ? `config ${configFile}` : source;
      process.stdout.write(`${flagName(name).padEnd(width)}  ${JSON.stringify(value) ?? '(unset)'}  [${where}]\n`);
    }
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
