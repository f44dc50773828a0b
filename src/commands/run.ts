import { writeFileSync } from 'node:fs';
import { BatchInferError, ExitCode } from '../errors.js';
import { resolveRunFlags, type RawRunFlags } from '../options.js';
import { createRunProgress } from '../progress.js';
import { runSnapshot } from '../run-snapshot.js';
import { formatTimingTable } from '../timing.js';

/** `batch-infer run`: returns the exit code. */
export async function runCommand(input: string | undefined, flags: RawRunFlags): Promise<number> {
  const resolved = resolveRunFlags(input, flags, process.stderr.isTTY === true);
  const progress = createRunProgress(resolved.isShowProgress);
  let timing;
  try {
    timing = await runSnapshot(resolved.run, { onProgress: (p) => progress.update(p) });
  } finally {
    progress.stop();
  }
  if (resolved.timingJson !== undefined) {
    try {
      writeFileSync(resolved.timingJson, `${JSON.stringify(timing, null, 2)}\n`);
    } catch (error) {
      throw new BatchInferError('OUTPUT_UNWRITABLE', `--timing-json ${resolved.timingJson}: ${(error as Error).message}`);
    }
  }
  if (!resolved.isQuiet) {
    process.stderr.write(formatTimingTable(timing));
    if (timing.rowsRejected > 0) {
      const where = resolved.run.rejects === undefined ? ' (use --rejects FILE to keep them)' : ` (written to ${resolved.run.rejects})`;
      process.stderr.write(`batch-infer: ${timing.rowsRejected} of ${timing.rows} rows rejected${where}\n`);
    }
  }
  if (timing.identical === false) {
    throw new BatchInferError('RESULTS_DIFFER', 'sequential and parallel predictions differ', { exitCode: ExitCode.usage });
  }
  return timing.rowsRejected > 0 ? ExitCode.rowsRejected : ExitCode.ok;
}
