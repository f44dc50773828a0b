import type { Command } from 'commander';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openFileSink } from '../output/write-output.js';
import { generateApmSnapshotCsv } from '../synth/apm-snapshot.js';
import { gatherOptions } from './command-options.js';

export interface GenerateOptions {
  rows: number;
  seed: number;
  targets: number;
  output: string | undefined;
}

/** Writes a seeded APM snapshot (CSV) to a file or stdout. */
export async function runGenerate(options: GenerateOptions): Promise<void> {
  const pieces = generateApmSnapshotCsv({ rows: options.rows, seed: options.seed, targets: options.targets });
  // '-' is stdout, as for run's --output. A reader that closes the pipe early ends the command quietly.
  if (options.output === undefined || options.output === '-') {
    await pipeline(Readable.from(pieces), process.stdout);
    return;
  }
  // A file is written like run's outputs: whole under a temporary name, then renamed into place; a missing
  // directory is one line naming --output.
  const sink = openFileSink(options.output, '--output');
  try {
    for (const piece of pieces) await sink.write(piece);
    await sink.commit();
  } catch (error) {
    sink.abort();
    throw error;
  }
}

/** `batch-infer generate`: returns the exit code. */
export async function generateCommand(command: Command): Promise<number> {
  const { values } = gatherOptions(command, 'generate');
  await runGenerate({ rows: values.rows.value, seed: values.seed.value, targets: values.targets.value, output: values.output.value });
  return 0;
}
