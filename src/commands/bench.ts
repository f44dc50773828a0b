import { resolveEngines } from '../model/choose-engine.js';
import { readFileSync, writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { compareWithBaseline } from '../bench/gate.js';
import { formatBenchCsv, formatBenchMarkdown, formatBenchTable } from '../bench/report.js';
import { renderBenchSvg } from '../bench/svg.js';
import { runSweep, type BenchResult } from '../bench/sweep.js';
import { synthesizeSnapshot } from '../bench/synth-rows.js';
import { BatchInferError, ExitCode, describeError, readFailedError } from '../errors.js';
import { openInput } from '../input/read-input.js';
import { resolveBenchOptions } from '../config/options.js';
import { flagName } from '../config/option-table.js';
import { formatExplained } from '../config/read-options.js';
import { filesRead, flagFile, refuseSharedFiles } from '../output/output-paths.js';
import type { InputFormat } from '../model/scoring-plan.js';
import { gatherOptions } from './command-options.js';

/** A saved bench result: missing is INPUT_NOT_FOUND, and unreadable or not a result INPUT_UNREADABLE (both 66). */
function readResult(flag: string, file: string): BenchResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw readFailedError(`${flag} ${file}`, error);
  }
  try {
    const result = JSON.parse(text) as BenchResult;
    if (result.version !== 1 || !Array.isArray(result.configs)) throw new Error('not a batch-infer bench result');
    return result;
  } catch (error) {
    throw new BatchInferError('INPUT_UNREADABLE', `${flag} ${file}: ${describeError(error)}`);
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
  const { values, configFile } = gatherOptions(command, 'bench');
  const options = resolveBenchOptions(input, values, process.stderr.isTTY === true);
  if (values.printConfig.value) {
    process.stdout.write(formatExplained(options.explained, configFile));
    return ExitCode.ok;
  }
  const { manifest, reports } = options;
  const baseline = options.baseline === undefined ? undefined : readResult('--baseline', options.baseline);
  // Before the sweep, which takes minutes: no report may overwrite the input, the manifest, a model, the config
  // or another report. (--save-baseline onto --baseline is allowed: the old baseline is read first.)
  const reportFiles = Object.entries(reports).flatMap(([name, file]) => flagFile(flagName(name), file));
  refuseSharedFiles(reportFiles, filesRead([input], manifest, configFile));

  let data: { bytes: Buffer; format: InputFormat; name: string };
  if (options.rows !== undefined) {
    const { rows, seed } = options;
    data = { bytes: synthesizeSnapshot(manifest, rows, seed), format: 'csv', name: `synthesized (--rows ${rows}, seed ${seed})` };
  } else {
    if (input === undefined && process.stdin.isTTY) throw new BatchInferError('USAGE', 'give a snapshot file or --rows N');
    data = await readAll(input ?? '-', options.format);
  }

  const { chunkSizes, workers } = options;
  const bar = options.isShowProgress ? new cliProgress.SingleBar({ stream: process.stderr, format: '{bar} {value}/{total} configurations | {label} | ETA {eta_formatted}', clearOnComplete: true, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(chunkSizes.length * (workers.length + 1), 0, { label: 'sequential baseline' });
  let result: BenchResult;
  try {
    const engines = await resolveEngines(manifest, options.engine, (message) => process.stderr.write(`batch-infer: ${message}\n`));
    result = await runSweep(
      { manifest: engines, input: data.bytes, inputName: data.name, inputFormat: data.format, parser: options.parser, chunkSizes, workers, warmup: options.warmup, rule: options.rule, isolation: options.isolation },
      { onStep: (done, _total, label) => bar?.update(done, { label }) },
    );
  } finally {
    bar?.stop();
  }

  const verdict = baseline === undefined ? undefined : compareWithBaseline(result, baseline, options.maxRegression);
  if (!options.isQuiet) {
    process.stdout.write(formatBenchTable(result));
    if (verdict !== undefined) process.stdout.write(verdict.text);
  }
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (reports.json !== undefined) write('--json', reports.json, json);
  if (reports.saveBaseline !== undefined) write('--save-baseline', reports.saveBaseline, json);
  if (reports.csv !== undefined) write('--csv', reports.csv, formatBenchCsv(result));
  if (reports.markdown !== undefined) write('--markdown', reports.markdown, formatBenchMarkdown(result, verdict?.text));
  if (reports.svg !== undefined) write('--svg', reports.svg, renderBenchSvg(result));
  if (reports.recommend !== undefined) {
    // A --config file for `run`: the every-minute job runs with what the sweep found.
    write('--recommend', reports.recommend, `${JSON.stringify({ chunkSize: result.best.chunkSize, workers: result.best.workers }, null, 2)}\n`);
  }
  return verdict?.isRegression === true ? ExitCode.rowsRejected : ExitCode.ok;
}
