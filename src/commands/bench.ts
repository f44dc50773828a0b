import { readFileSync, writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { compareWithBaseline } from '../bench/gate.js';
import { formatBenchCsv, formatBenchMarkdown, formatBenchTable } from '../bench/report.js';
import { renderBenchSvg } from '../bench/svg.js';
import { runSweep, type BenchResult } from '../bench/sweep.js';
import { synthesizeSnapshot } from '../bench/synth-rows.js';
import { BatchInferError, ExitCode } from '../errors.js';
import { openInput } from '../input/read-input.js';
import { defaultWorkers, parsePositiveInteger, resolveManifest, type RawOptions } from '../config/options.js';
import { filesRead, flagFile, refuseSharedFiles } from '../output/output-paths.js';
import type { CsvParser, InputFormat } from '../model/scoring-plan.js';

export interface BenchFlags {
  manifest?: string;
  model?: string;
  features?: string;
  passthrough?: string;
  format?: string;
  parser?: string;
  rows?: string;
  seed?: string;
  chunkSizes?: string;
  workers?: string;
  warmup?: string;
  repeats?: string;
  stability?: string;
  maxRepeats?: string;
  isolation?: string;
  json?: string;
  csv?: string;
  markdown?: string;
  svg?: string;
  recommend?: string;
  baseline?: string;
  maxRegression?: string;
  saveBaseline?: string;
  quiet?: boolean;
  progress?: boolean;
}

function usage(message: string): never {
  throw new BatchInferError('USAGE', message);
}

/** '500,2000,8000' or a range '256:65536' (powers of two from the start up to the end). */
export function parseChunkSizes(raw: string): number[] {
  const range = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(raw);
  if (range !== null) {
    const start = parsePositiveInteger('--chunk-sizes', range[1]!);
    const end = parsePositiveInteger('--chunk-sizes', range[2]!);
    if (end < start) usage(`--chunk-sizes: the range end ${end} is below its start ${start}`);
    const sizes: number[] = [];
    for (let size = start; size <= end; size *= 2) sizes.push(size);
    return sizes;
  }
  const sizes = raw.split(',').map((item) => {
    if (!/^\s*\d+\s*$/.test(item) || Number(item) <= 0) usage(`--chunk-sizes must be positive integers ('500,2000') or a range ('256:65536'), got '${raw}'`);
    return Number(item);
  });
  return [...new Set(sizes)].sort((a, b) => a - b);
}

export function parseWorkerList(raw: string): number[] {
  const counts = raw.split(',').map((item) => {
    if (!/^\s*\d+\s*$/.test(item) || Number(item) <= 0) usage(`--workers must be positive integers such as '1,2,4', got '${raw}'`);
    return Number(item);
  });
  return [...new Set(counts)].sort((a, b) => a - b);
}

function parsePercent(flag: string, raw: string): number {
  const value = Number(raw);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(raw) || !(value > 0)) usage(`${flag} must be a positive percentage, got '${raw}'`);
  return value;
}

function readResult(flag: string, file: string): BenchResult {
  try {
    const result = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
    if (result.version !== 1 || !Array.isArray(result.configs)) throw new Error('not a batch-infer bench result');
    return result;
  } catch (error) {
    throw new BatchInferError('USAGE', `${flag} ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

function write(flag: string, file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (error) {
    throw new BatchInferError('OUTPUT_UNWRITABLE', `${flag} ${file}: ${(error as Error).message}`);
  }
}

async function readAll(path: string, format: InputFormat | undefined): Promise<{ bytes: Buffer; format: InputFormat; name: string }> {
  const input = await openInput({ path, format });
  const parts: Uint8Array[] = [];
  for await (const piece of input.bytes) parts.push(piece);
  return { bytes: Buffer.concat(parts), format: input.format, name: input.name };
}

/** `batch-infer bench`: returns the exit code (1 when the gate finds a regression). */
export async function benchCommand(input: string | undefined, command: Command): Promise<number> {
  const flags = command.opts<BenchFlags>();
  const raw: RawOptions = {};
  for (const name of ['manifest', 'model', 'features', 'passthrough'] as const) if (flags[name] !== undefined) raw[name] = { value: flags[name], source: 'flag' };
  const manifest = resolveManifest(raw, (name) => `--${name}`);
  const chunkSizes = parseChunkSizes(flags.chunkSizes ?? '1024:16384');
  const workers = flags.workers === undefined ? Array.from({ length: defaultWorkers() }, (_, i) => i + 1) : parseWorkerList(flags.workers);
  const rule = {
    repeats: flags.repeats === undefined ? 3 : parsePositiveInteger('--repeats', flags.repeats),
    stabilityPercent: flags.stability === undefined ? 10 : parsePercent('--stability', flags.stability),
    maxRepeats: flags.maxRepeats === undefined ? 10 : parsePositiveInteger('--max-repeats', flags.maxRepeats),
  };
  if (rule.maxRepeats < rule.repeats) usage(`--max-repeats ${rule.maxRepeats} is below --repeats ${rule.repeats}`);
  const warmup = flags.warmup === undefined ? 1 : Number.isSafeInteger(Number(flags.warmup)) && /^\d+$/.test(flags.warmup) ? Number(flags.warmup) : usage(`--warmup must be a whole number, got '${flags.warmup}'`);
  const maxRegression = flags.maxRegression === undefined ? 10 : parsePercent('--max-regression', flags.maxRegression);
  const parser = (flags.parser ?? 'fast') as CsvParser;
  if (!['fast', 'reference'].includes(parser)) usage(`--parser must be one of fast, reference, got '${flags.parser}'`);
  const isolation = flags.isolation ?? 'thread';
  if (isolation !== 'thread' && isolation !== 'process') usage(`--isolation must be one of thread, process, got '${isolation}'`);
  if (input !== undefined && flags.rows !== undefined) usage('give an input file or --rows N, not both');
  const baseline = flags.baseline === undefined ? undefined : readResult('--baseline', flags.baseline);
  // Before the sweep, which takes minutes: no report may overwrite the input, the manifest, a model or another
  // report. (--save-baseline onto --baseline is allowed: the old baseline is read first.)
  const reports = (['json', 'saveBaseline', 'csv', 'markdown', 'svg', 'recommend'] as const).flatMap((name) =>
    flagFile(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, flags[name]),
  );
  refuseSharedFiles(reports, filesRead([input], manifest, undefined));

  let data: { bytes: Buffer; format: InputFormat; name: string };
  if (flags.rows !== undefined) {
    const rows = parsePositiveInteger('--rows', flags.rows);
    const seed = flags.seed === undefined ? 42 : parsePositiveInteger('--seed', flags.seed);
    data = { bytes: synthesizeSnapshot(manifest, rows, seed), format: 'csv', name: `synthesized (--rows ${rows}, seed ${seed})` };
  } else {
    if (input === undefined && process.stdin.isTTY) usage('give a snapshot file or --rows N');
    data = await readAll(input ?? '-', flags.format as InputFormat | undefined);
  }

  const isBar = process.stderr.isTTY === true && flags.quiet !== true && flags.progress !== false;
  const bar = isBar ? new cliProgress.SingleBar({ stream: process.stderr, format: '{bar} {value}/{total} configurations | {label} | ETA {eta_formatted}', clearOnComplete: true, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(chunkSizes.length * (workers.length + 1), 0, { label: 'sequential baseline' });
  let result: BenchResult;
  try {
    result = await runSweep(
      { manifest, input: data.bytes, inputName: data.name, inputFormat: data.format, parser, chunkSizes, workers, warmup, rule, isolation },
      { onStep: (done, _total, label) => bar?.update(done, { label }) },
    );
  } finally {
    bar?.stop();
  }

  const verdict = baseline === undefined ? undefined : compareWithBaseline(result, baseline, maxRegression);
  if (flags.quiet !== true) {
    process.stdout.write(formatBenchTable(result));
    if (verdict !== undefined) process.stdout.write(verdict.text);
  }
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (flags.json !== undefined) write('--json', flags.json, json);
  if (flags.saveBaseline !== undefined) write('--save-baseline', flags.saveBaseline, json);
  if (flags.csv !== undefined) write('--csv', flags.csv, formatBenchCsv(result));
  if (flags.markdown !== undefined) write('--markdown', flags.markdown, formatBenchMarkdown(result, verdict?.text));
  if (flags.svg !== undefined) write('--svg', flags.svg, renderBenchSvg(result));
  if (flags.recommend !== undefined) {
    // A --config file for `run`: the every-minute job runs with what the sweep found.
    write('--recommend', flags.recommend, `${JSON.stringify({ chunkSize: result.best.chunkSize, workers: result.best.workers }, null, 2)}\n`);
  }
  return verdict?.isRegression === true ? ExitCode.rowsRejected : ExitCode.ok;
}
