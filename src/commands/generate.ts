import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
  const source = Readable.from(generateApmSnapshotCsv({ rows: options.rows, seed: options.seed, targets: options.targets }));
  // '-' is stdout, as for run's --output.
  const sink = options.output === undefined || options.output === '-' ? process.stdout : createWriteStream(options.output);
  await pipeline(source, sink);
}

/** `batch-infer generate`: returns the exit code. */
export async function generateCommand(command: Command): Promise<number> {
  const { values } = gatherOptions(command, 'generate');
  await runGenerate({ rows: values.rows.value, seed: values.seed.value, targets: values.targets.value, output: values.output.value });
  return 0;
}
