import { CommanderError } from 'commander';
import { detachOneBufferEarly } from './pool/detach-early.js';
import { ExitCode, describeError, isBatchInferError } from './errors.js';
import { createProgram } from './commands/program.js';
import { guardStandardStreams } from './output/standard-streams.js';

detachOneBufferEarly();
guardStandardStreams();

async function main(argv: string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with code 0; every other commander error is a usage error (documented as 2).
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const isDebug = argv.includes('--debug');
    if (isBatchInferError(error)) {
      process.stderr.write(`batch-infer: ${describeError(error)}\n`);
      if (isDebug && error.stack) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    process.stderr.write(`batch-infer: internal error: ${describeError(error)}\n`);
    if (isDebug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    else process.stderr.write('batch-infer: run again with --debug for a stack trace\n');
    return ExitCode.usage;
  }
}

process.exitCode = await main(process.argv);
