import { CommanderError } from 'commander';
import { detachOneBufferEarly } from './pool/detach-early.js';
import { activeRunLog, createRunLog, isJsonLogAsked } from './commands/run-log.js';
import { ExitCode, describeError, exitCodeOf, isBatchInferError } from './errors.js';
import { createProgram } from './commands/program.js';
import { guardStandardStreams } from './output/standard-streams.js';

detachOneBufferEarly();
guardStandardStreams();

/** One message per failure: a line for people, or one 'error' event when the logs are JSON. */
function reportFailure(error: unknown, argv: readonly string[]): void {
  const isKnown = isBatchInferError(error);
  const message = isKnown ? describeError(error) : `internal error: ${describeError(error)}`;
  const log = activeRunLog() ?? (isJsonLogAsked(argv) ? createRunLog('json') : undefined);
  if (log?.format === 'json') {
    log.event('error', { code: isKnown ? error.code : 'INTERNAL', exitCode: exitCodeOf(error), message });
    return;
  }
  process.stderr.write(`batch-infer: ${message}\n`);
  const stack = error instanceof Error ? error.stack : undefined;
  if (argv.includes('--debug') && stack !== undefined) process.stderr.write(`${stack}\n`);
  else if (!isKnown) process.stderr.write('batch-infer: run again with --debug for a stack trace\n');
}

async function main(argv: string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with code 0; every other commander error is a usage error.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    reportFailure(error, argv);
    return exitCodeOf(error);
  }
}

process.exitCode = await main(process.argv);
