import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { detachOneBufferEarly } from './pool/detach-early.js';
import { ExitCode, describeError, isBatchInferError } from './errors.js';

detachOneBufferEarly();

function positiveInteger(flag: string) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value <= 0) {
      throw new InvalidArgumentError(`${flag} must be a positive integer, got '${raw}'`);
    }
    return value;
  };
}

const program = new Command('batch-infer')
  .description('Score snapshots of rows with ONNX models on a pool of worker threads.')
  .option('--debug', 'print stack traces for errors')
  .exitOverride()
  .configureOutput({
    writeErr: (text) => process.stderr.write(text),
    outputError: (text, write) => write(`batch-infer: ${text.replace(/^error: /, '').trim()}\n`),
  });

program
  .command('generate')
  .description('write a seeded synthetic APM transaction snapshot (CSV) of any size')
  .option('--rows <n>', 'rows to generate', positiveInteger('--rows'), 5000)
  .option('--seed <n>', 'random seed', positiveInteger('--seed'), 42)
  .option('--targets <n>', 'monitored targets per minute', positiveInteger('--targets'), 50)
  .option('-o, --output <file>', 'write to FILE instead of stdout')
  .action(async (options: { rows: number; seed: number; targets: number; output?: string }) => {
    const { runGenerate } = await import('./commands/generate.js');
    await runGenerate({ rows: options.rows, seed: options.seed, targets: options.targets, output: options.output });
  });

/** The options that say which models read which columns: run, replay and bench all take them. */
function withModelOptions(command: Command): Command {
  return command
    .option('-m, --manifest <file>', 'models, input columns, outputs and pass-through columns (JSON)')
    .option('--model <file>', 'quick path: one ONNX model with a single 2-D float input, instead of a manifest')
    .option('--features <columns>', 'with --model: comma-separated feature columns (default: the last K columns)')
    .option('--passthrough <columns>', 'comma-separated columns copied to the output (overrides the manifest)')
    .option('--format <format>', 'input format: csv or ndjson (default: from the extension, else sniffed)')
    .option('--parser <parser>', "CSV parser: 'fast' (default; falls back per record) or 'reference' (csv-parse only)");
}

/** The options of scoring through a pool, shared by run and replay. */
function withScoringOptions(command: Command): Command {
  return command
    .option('--output-format <format>', 'output format: csv or ndjson')
    .option('-w, --workers <n>', 'worker threads (default: available cores)')
    .option('-c, --chunk-size <n>', 'rows per chunk, exactly (default: about 16384, balanced over the workers)')
    .option('--batch-rows <n>', 'rows per inference call within a chunk (default: 1024)')
    .option('--max-in-flight <n>', 'chunks read but not yet written (default: 4 x workers)')
    .option('--retries <n>', 'further tries for a chunk whose worker failed (default: 2)')
    .option('--chunk-timeout <duration>', 'abandon a chunk with no result after this long (e.g. 30s; default: none)')
    .option('--isolation <mode>', "'thread' (default) or 'process': workers as child processes, for models you do not trust")
    .option('--max-line-bytes <n>', 'a record longer than this is rejected (default: 1048576)')
    .option('--lock <file>', 'exit at once with code 75 if another run holds this lock')
    .option('--config <file>', 'options as JSON (flags > BATCH_INFER_* environment > this file)')
    .option('--timing-json <file>', 'write the timing figures as JSON')
    .option('--log-format <format>', "'human' (default) or 'json': one JSON object per line on stderr")
    .option('-q, --quiet', 'print nothing but errors')
    .option('--no-progress', 'never show a progress bar')
    .option('--no-warm-up', 'skip the warm-up sample each worker scores before the timed work');
}

withScoringOptions(
  withModelOptions(
    program
      .command('run')
      .description('score one snapshot (CSV or NDJSON, file or stdin) and write predictions in input order')
      .argument('[input]', "snapshot file (.csv, .ndjson, .jsonl, optionally .gz); '-' or none reads stdin"),
  ),
)
  .option('-o, --output <file>', "write predictions to FILE (atomically) instead of stdout; '-' is stdout")
  .option('--rejects <file>', 'write rows that could not be scored to FILE (CSV: line,reason,record)')
  .option('--deadline <duration>', 'time budget from process start (e.g. 50s)')
  .option('--on-deadline <action>', "'finish' (default: finish, report, exit 3) or 'abort' (stop, reject the rest, exit 3)")
  .option('--print-config', 'print the resolved options and where each came from, then exit')
  .option('--endpoint <url>', 'score on an Open Inference Protocol (KServe V2) server, e.g. http://127.0.0.1:8000')
  .option('--model-name <name>', "with --endpoint: the server's name for the model (default: the manifest's model names)")
  .option('--concurrency <n>', "with --endpoint: requests in flight (default: 2 x the server's replicas, else 4)")
  .option('--request-timeout <duration>', 'with --endpoint: timeout of each request (default: 30s)')
  .option('--token-env <var>', 'with --endpoint: environment variable holding a bearer token (default: BATCH_INFER_TOKEN)')
  .option('--compare', 'also run the sequential baseline on the same chunks and report the speedup')
  .action(async (input: string | undefined, _options: unknown, command: Command) => {
    const { runCommand } = await import('./commands/run.js');
    process.exitCode = await runCommand(input, command);
  });

withScoringOptions(
  withModelOptions(
    program
      .command('replay')
      .description('score many snapshots (files, directories, globs) in time order through one pool')
      .argument('<inputs...>', 'snapshot files, directories or glob patterns'),
  ),
)
  .option('--out-dir <dir>', 'one output and one rejects file per input, written atomically, and the journal')
  .option('--resume', 'skip inputs the journal shows complete (same size, time and output checksum)')
  .option('--from <time>', 'only inputs whose file-name time is at or after this (UTC)')
  .option('--to <time>', 'only inputs whose file-name time is before this (UTC)')
  .action(async (inputs: string[], _options: unknown, command: Command) => {
    const { replayCommand } = await import('./commands/replay.js');
    process.exitCode = await replayCommand(inputs, command);
  });

withModelOptions(
  program
    .command('bench')
    .description('sweep chunk sizes and worker counts on the same rows; report, chart, recommend, gate CI')
    .argument('[input]', 'snapshot file (or use --rows N to synthesize one)'),
)
  .option('--rows <n>', 'synthesize a seeded snapshot of N rows that fits the manifest')
  .option('--seed <n>', 'seed for --rows (default: 42)')
  .option('--chunk-sizes <list>', "chunk sizes: a list '500,2000,8000' or a range '256:65536' (powers of two)")
  .option('-w, --workers <list>', 'worker counts, e.g. 1,2,4 (default: 1 up to the cores)')
  .option('--warmup <n>', 'uncounted runs per configuration (default: 1)')
  .option('--repeats <n>', 'counted runs at least, and the stability window (default: 3)')
  .option('--stability <pct>', 'stable when the last runs spread by at most this (default: 10)')
  .option('--max-repeats <n>', 'counted runs at most (default: 10)')
  .option('--isolation <mode>', "'thread' (default) or 'process'")
  .option('--json <file>', 'write the full result as JSON')
  .option('--csv <file>', 'write one row per configuration as CSV')
  .option('--markdown <file>', 'write a Markdown table (CI job summary, pull-request comment)')
  .option('--svg <file>', 'write a chart of rows/s against chunk size')
  .option('--recommend <file>', 'write the best chunk size and worker count as a --config file for run')
  .option('--baseline <file>', 'compare with a saved result (speedup and efficiency, not absolute times)')
  .option('--max-regression <pct>', 'with --baseline: exit 1 when a compared figure got worse by more (default: 10)')
  .option('--save-baseline <file>', 'write this result for later --baseline use')
  .option('-q, --quiet', 'print nothing but errors')
  .option('--no-progress', 'never show the progress bar')
  .action(async (input: string | undefined, _options: unknown, command: Command) => {
    const { benchCommand } = await import('./commands/bench.js');
    process.exitCode = await benchCommand(input, command);
  });

program
  .command('inspect')
  .description("print an ONNX model's inputs and outputs and a starting manifest for it")
  .argument('<model>', 'ONNX model file')
  .action(async (model: string) => {
    const { inspectCommand } = await import('./commands/inspect.js');
    process.exitCode = await inspectCommand(model);
  });

async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
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
