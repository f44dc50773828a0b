/**
 * Raw flags in, one resolved and typed set of options out: defaults applied once, every bad value named with
 * its flag.
 */

import { availableParallelism } from 'node:os';
import { BatchInferError } from './errors.js';
import { loadManifest, manifestForModel, type Manifest } from './manifest.js';
import type { CsvParser, InputFormat, OutputFormat } from './plan.js';
import type { RunOptions } from './run-snapshot.js';

/** Rows per chunk: large enough that a chunk's work (tens of ms) dwarfs the per-task cost (well under 1 ms). */
export const DEFAULT_CHUNK_SIZE = 4096;

/** One worker per core: each worker runs one single-threaded session at a time. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

export interface RawRunFlags {
  manifest?: string;
  model?: string;
  features?: string;
  passthrough?: string;
  format?: string;
  outputFormat?: string;
  parser?: string;
  output?: string;
  rejects?: string;
  workers?: string;
  chunkSize?: string;
  maxInFlight?: string;
  compare?: boolean;
  timingJson?: string;
  quiet?: boolean;
  progress?: boolean;
  warmUp?: boolean;
}

export interface ResolvedRun {
  run: RunOptions;
  timingJson: string | undefined;
  isQuiet: boolean;
  isShowProgress: boolean;
}

function usage(message: string): never {
  throw new BatchInferError('USAGE', message);
}

export function parsePositiveInteger(flag: string, raw: string): number {
  const value = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value <= 0) {
    usage(`${flag} must be a positive integer, got '${raw}'`);
  }
  return value;
}

function parseChoice<T extends string>(flag: string, raw: string, choices: readonly T[]): T {
  if (!choices.includes(raw as T)) usage(`${flag} must be one of ${choices.join(', ')}, got '${raw}'`);
  return raw as T;
}

function parseList(flag: string, raw: string): string[] {
  const items = raw.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) usage(`${flag} must be a comma-separated list of column names, got '${raw}'`);
  return items;
}

export function resolveManifest(flags: Pick<RawRunFlags, 'manifest' | 'model' | 'features' | 'passthrough'>): Manifest {
  if (flags.manifest !== undefined && flags.model !== undefined) usage('give --manifest or --model, not both');
  if (flags.manifest === undefined && flags.model === undefined) usage('--manifest FILE (or --model FILE.onnx) is required');
  if (flags.manifest !== undefined) {
    if (flags.features !== undefined) usage('--features goes with --model; a manifest names its own columns');
    const manifest = loadManifest(flags.manifest);
    if (flags.passthrough !== undefined) manifest.passthrough = parseList('--passthrough', flags.passthrough);
    return manifest;
  }
  return manifestForModel(
    flags.model!,
    flags.features === undefined ? undefined : parseList('--features', flags.features),
    flags.passthrough === undefined ? undefined : flags.passthrough === '' ? [] : parseList('--passthrough', flags.passthrough),
  );
}

export function resolveRunFlags(input: string | undefined, flags: RawRunFlags, isStderrTty: boolean): ResolvedRun {
  const manifest = resolveManifest(flags);
  const workers = flags.workers === undefined ? manifest.run.workers ?? defaultWorkers() : parsePositiveInteger('--workers', flags.workers);
  const chunkSize = flags.chunkSize === undefined ? manifest.run.chunkSize ?? DEFAULT_CHUNK_SIZE : parsePositiveInteger('--chunk-size', flags.chunkSize);
  const maxInFlight = flags.maxInFlight === undefined ? workers * 4 : parsePositiveInteger('--max-in-flight', flags.maxInFlight);
  const inputFormat = flags.format === undefined ? undefined : parseChoice<InputFormat>('--format', flags.format, ['csv', 'ndjson']);
  const outputFormat = flags.outputFormat === undefined ? 'csv' : parseChoice<OutputFormat>('--output-format', flags.outputFormat, ['csv', 'ndjson']);
  const isQuiet = flags.quiet === true;
  return {
    run: {
      input,
      inputFormat,
      outputFormat,
      parser: flags.parser === undefined ? 'fast' : parseChoice<CsvParser>('--parser', flags.parser, ['fast', 'reference']),
      output: flags.output,
      rejects: flags.rejects,
      manifest,
      workers,
      chunkSize,
      maxInFlight,
      compare: flags.compare === true,
      warmUp: flags.warmUp !== false,
    },
    timingJson: flags.timingJson,
    isQuiet,
    // Like knip: a bar only on a terminal, and never when asked for quiet or no progress.
    isShowProgress: isStderrTty && !isQuiet && flags.progress !== false,
  };
}
