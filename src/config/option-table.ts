/**
 * The one definition of every option: its flag, value name, help text, parser, default, the commands that take
 * it, and whether it names a file. Commander's options (and so --help), the BATCH_INFER_* names, the --config
 * keys and --print-config are all derived from this table, so they cannot drift apart. Adding an option is
 * adding one entry here and reading its typed value where it is used.
 */

import { availableParallelism } from 'node:os';
import {
  choiceOf,
  parseBoolean,
  parseChunkSizes,
  parseColumnList,
  parseCount,
  parseDuration,
  parsePassthrough,
  parsePercent,
  parsePositiveInteger,
  parseRejectLimit,
  parseText,
  parseUrl,
  parseUtcTime,
  parseWorkerCount,
  parseWorkerList,
  type Parser,
} from './parse-values.js';

export type CommandName = 'run' | 'replay' | 'bench' | 'generate' | 'inspect' | 'serve';

/** How each command takes its options. */
export const COMMANDS: Record<CommandName, { isLayered: boolean }> = {
  run: { isLayered: true },
  replay: { isLayered: true },
  bench: { isLayered: true },
  serve: { isLayered: true },
  // Flags only: a shell set up for the scoring commands (BATCH_INFER_WORKERS, ...) must not break these.
  generate: { isLayered: false },
  inspect: { isLayered: false },
};

/** Where a value can come from besides its flag. */
export type OptionLayer = 'env' | 'config';

export interface OptionEntry<N extends string = string, C extends readonly CommandName[] = readonly CommandName[], T = unknown, D = unknown> {
  /** camelCase: the flag is its kebab-case form, the variable BATCH_INFER_ and its UPPER_SNAKE form. */
  name: N;
  short?: string;
  /** Shown as <valueName>; a switch (a boolean flag) has none. */
  valueName?: string;
  /** A switch written --no-NAME, which sets the value false. */
  isNegated?: boolean;
  help: string;
  /** For a default the high level derives (from the cores, the manifest, another option), what help says. */
  defaultHelp?: string;
  parse: Parser<T>;
  default: D;
  commands: C;
  /** Relative paths in a --config file are taken from the file's directory. */
  isPath?: boolean;
  /** Where else it may come from; both unless said. */
  layers?: readonly OptionLayer[];
  /** Declared once on the program, shown in every command's help. */
  isGlobal?: boolean;
}

function option<const N extends string, const C extends readonly CommandName[], T, const D extends T | undefined = undefined>(
  entry: Omit<OptionEntry<N, C, T, D>, 'default'> & { default?: D },
): OptionEntry<N, C, T, D> {
  return { ...entry, default: entry.default as D };
}

const SCORING = ['run', 'replay', 'bench'] as const;
const POOL = ['run', 'replay'] as const;
/** serve keeps a pool loaded and takes each snapshot's input and output over HTTP. */
const MODELS = [...SCORING, 'serve'] as const;
const SERVE_POOL = [...POOL, 'serve'] as const;

/** One worker per core: each worker runs one single-threaded session at a time. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Rows per chunk, by default a target (see snapshot/balanced-chunks.ts): large enough that a chunk's
 * work dwarfs the per-task cost. Since chunks are scored in DEFAULT_BATCH_ROWS slices, the chunk no longer sets
 * the inference batch, and each chunk costs a round trip through the main thread (about 1 ms of a worker's
 * time between chunks here): about 16k rows, in chunks balanced over the workers, beat 8192 (warm replay of
 * 100k rows 71-73 against 75-83 ms; --compare's first-pass speedup median 1.79x against 1.65x).
 */
export const DEFAULT_CHUNK_SIZE = 16384;
/**
 * Rows per inference call. A chunk is handed out whole but scored in slices: with the fixture autoencoder, a
 * 4,096-row call's activations (4 MiB per 256-wide layer) miss the caches the parser just filled, and slices
 * of 1,024 rows made a warm replay of 100k rows 8-10% faster (99-105 against 109-117 ms) with identical output.
 */
export const DEFAULT_BATCH_ROWS = 1024;
export const DEFAULT_RETRIES = 2;
/**
 * Beyond half the rows rejected, something systematic is wrong (a model that fails on every row, a wrong
 * column): such a run must not exit like one with a few bad rows.
 */
export const DEFAULT_MAX_REJECTS = '50%';
/** Far longer than any real record, small enough that one broken line cannot take the memory. */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

const formats = choiceOf(['csv', 'ndjson']);

export const OPTION_TABLE = [
  // Which models read which columns.
  option({ name: 'manifest', short: 'm', valueName: 'file', isPath: true, commands: MODELS, parse: parseText, help: 'models, input columns, outputs and pass-through columns (JSON)' }),
  option({ name: 'model', valueName: 'file', isPath: true, commands: MODELS, parse: parseText, help: 'quick path: one ONNX model with a single 2-D float input, instead of a manifest' }),
  option({ name: 'features', valueName: 'columns', commands: MODELS, parse: parseColumnList, help: 'with --model: comma-separated feature columns', defaultHelp: 'the last K columns' }),
  option({ name: 'passthrough', valueName: 'columns', commands: MODELS, parse: parsePassthrough, help: "comma-separated columns copied to the output (overrides the manifest; '' for none)" }),
  option({ name: 'format', valueName: 'format', commands: MODELS, parse: formats, help: 'input format: csv or ndjson', defaultHelp: 'from the extension, else sniffed' }),
  option({ name: 'parser', valueName: 'parser', commands: MODELS, parse: choiceOf(['fast', 'reference']), default: 'fast', help: "CSV parser: 'fast' (falls back per record) or 'reference' (csv-parse only)" }),
  // run's input and outputs.
  option({ name: 'output', short: 'o', valueName: 'file', isPath: true, commands: ['run'], parse: parseText, help: "write predictions to FILE (atomically) instead of stdout; '-' is stdout" }),
  option({ name: 'rejects', valueName: 'file', isPath: true, commands: ['run'], parse: parseText, help: 'write rows that could not be scored to FILE (CSV: line,reason,record)' }),
  // replay's inputs and outputs.
  option({ name: 'outDir', valueName: 'dir', isPath: true, commands: ['replay'], parse: parseText, help: 'one output and one rejects file per input, written atomically, and the journal (required)' }),
  option({ name: 'resume', commands: ['replay'], parse: parseBoolean, default: false, help: 'skip inputs the journal shows complete (same size, time and output checksum)' }),
  option({ name: 'from', valueName: 'time', commands: ['replay'], parse: parseUtcTime, help: "only inputs whose file-name time is at or after this (UTC)" }),
  option({ name: 'to', valueName: 'time', commands: ['replay'], parse: parseUtcTime, help: "only inputs whose file-name time is before this (UTC)" }),
  // Scoring through a pool.
  option({ name: 'outputFormat', valueName: 'format', commands: SERVE_POOL, parse: formats, default: 'csv', help: 'output format: csv or ndjson' }),
  option({ name: 'workers', short: 'w', valueName: 'n', commands: SERVE_POOL, parse: parseWorkerCount, help: 'worker threads (at most 4 per core, and 16 on any machine)', defaultHelp: "the manifest's run.workers, else available cores" }),
  option({ name: 'chunkSize', short: 'c', valueName: 'n', commands: SERVE_POOL, parse: parsePositiveInteger, help: 'rows per chunk, exactly', defaultHelp: `the manifest's run.chunkSize, else about ${DEFAULT_CHUNK_SIZE}, balanced over the workers` }),
  option({ name: 'batchRows', valueName: 'n', commands: SERVE_POOL, parse: parsePositiveInteger, default: DEFAULT_BATCH_ROWS, help: 'rows per inference call within a chunk' }),
  option({ name: 'maxInFlight', valueName: 'n', commands: SERVE_POOL, parse: parsePositiveInteger, help: 'chunks read but not yet written', defaultHelp: '4 x workers' }),
  option({ name: 'retries', valueName: 'n', commands: SERVE_POOL, parse: parseCount, default: DEFAULT_RETRIES, help: 'further tries for a chunk whose worker failed' }),
  option({ name: 'chunkTimeout', valueName: 'duration', commands: SERVE_POOL, parse: parseDuration, help: 'abandon a chunk with no result after this long (e.g. 30s)', defaultHelp: 'none' }),
  option({ name: 'engine', valueName: 'engine', commands: MODELS, parse: choiceOf(['auto', 'onnxruntime', 'compiled']), default: 'auto', help: "'auto' (compiled tree engine where supported and proved, else onnxruntime, subnormal weights flushed where proved harmless), 'onnxruntime' (every file as it is) or 'compiled'" }),
  option({ name: 'isolation', valueName: 'mode', commands: MODELS, parse: choiceOf(['thread', 'process']), default: 'thread', help: "'thread' or 'process': workers as child processes, for models you do not trust" }),
  option({ name: 'maxLineBytes', valueName: 'n', commands: SERVE_POOL, parse: parsePositiveInteger, default: DEFAULT_MAX_LINE_BYTES, help: 'a record longer than this is rejected' }),
  // run's schedule and remote scoring.
  option({ name: 'deadline', valueName: 'duration', commands: ['run'], parse: parseDuration, help: 'time budget from process start (e.g. 50s)' }),
  option({ name: 'onDeadline', valueName: 'action', commands: ['run'], parse: choiceOf(['finish', 'abort']), default: 'finish', help: "'finish' (finish, report, exit 3) or 'abort' (stop, reject the rest, exit 3)" }),
  option({ name: 'endpoint', valueName: 'url', commands: ['run'], parse: parseUrl, help: 'score on an Open Inference Protocol (KServe V2) server, e.g. http://127.0.0.1:8000' }),
  option({ name: 'modelName', valueName: 'name', commands: ['run'], parse: parseText, help: "with --endpoint: the server's name for the model", defaultHelp: "the manifest's model names" }),
  option({ name: 'concurrency', valueName: 'n', commands: ['run'], parse: parsePositiveInteger, help: "with --endpoint: requests in flight (each worker sends its chunk's rows as ceil(n / workers) requests at once)", defaultHelp: "2 x the server's replicas, else 4" }),
  option({ name: 'requestTimeout', valueName: 'duration', commands: ['run'], parse: parseDuration, default: 30_000, defaultHelp: '30s', help: 'with --endpoint: timeout of each request' }),
  option({ name: 'tokenEnv', valueName: 'var', commands: ['run'], parse: parseText, default: 'BATCH_INFER_TOKEN', help: 'with --endpoint: environment variable holding a bearer token' }),
  option({ name: 'compare', commands: ['run'], parse: parseBoolean, default: false, help: 'also run the sequential baseline on the same chunks and report the speedup' }),
  // serve's listener and limits.
  option({ name: 'host', valueName: 'address', commands: ['serve'], parse: parseText, default: '127.0.0.1', help: 'address to listen on (0.0.0.0 only behind a token or a firewall)' }),
  option({ name: 'port', valueName: 'n', commands: ['serve'], parse: parseCount, default: 8080, help: 'port to listen on (0: any free port, printed at start)' }),
  option({ name: 'tokenEnv', valueName: 'var', commands: ['serve'], parse: parseText, help: 'environment variable holding a bearer token every request must carry', defaultHelp: 'no token asked' }),
  option({ name: 'maxBodyBytes', valueName: 'n', commands: ['serve'], parse: parsePositiveInteger, default: 256 << 20, help: 'a request body longer than this (as sent, 256 MiB by default) is refused with 413' }),
  option({ name: 'maxActive', valueName: 'n', commands: ['serve'], parse: parsePositiveInteger, default: 2, help: 'snapshots scored at once through the pool' }),
  option({ name: 'maxQueue', valueName: 'n', commands: ['serve'], parse: parseCount, default: 16, help: 'requests waiting for a turn; beyond that 503 with Retry-After' }),
  option({ name: 'shutdownGrace', valueName: 'duration', commands: ['serve'], parse: parseDuration, default: 30_000, defaultHelp: '30s', help: 'on SIGTERM or SIGINT, how long requests under way may take to finish' }),
  // bench's sweep.
  option({ name: 'rows', valueName: 'n', commands: ['bench'], parse: parsePositiveInteger, help: 'synthesize a seeded snapshot of N rows that fits the manifest' }),
  option({ name: 'seed', valueName: 'n', commands: ['bench'], parse: parsePositiveInteger, default: 42, help: 'seed for --rows' }),
  option({ name: 'chunkSizes', valueName: 'list', commands: ['bench'], parse: parseChunkSizes, default: parseChunkSizes('', '1024:16384'), defaultHelp: '1024:16384', help: "chunk sizes: a list '500,2000,8000' or a range '256:65536' (powers of two)" }),
  option({ name: 'workers', short: 'w', valueName: 'list', commands: ['bench'], parse: parseWorkerList, help: 'worker counts, e.g. 1,2,4', defaultHelp: '1 up to the cores' }),
  option({ name: 'warmup', valueName: 'n', commands: ['bench'], parse: parseCount, default: 1, help: 'uncounted runs per configuration' }),
  option({ name: 'repeats', valueName: 'n', commands: ['bench'], parse: parsePositiveInteger, default: 3, help: 'counted runs at least, and the stability window' }),
  option({ name: 'stability', valueName: 'pct', commands: ['bench'], parse: parsePercent, default: 10, help: 'stable when the last runs spread by at most this' }),
  option({ name: 'maxRepeats', valueName: 'n', commands: ['bench'], parse: parsePositiveInteger, default: 10, help: 'counted runs at most' }),
  option({ name: 'json', valueName: 'file', isPath: true, commands: ['bench'], parse: parseText, help: 'write the full result as JSON' }),
  option({ name: 'csv', valueName: 'file', isPath: true, commands: ['bench'], parse: parseText, help: 'write one row per configuration as CSV' }),
  option({ name: 'markdown', valueName: 'file', isPath: true, commands: ['bench'], parse: parseText, help: 'write a Markdown table (CI job summary, pull-request comment)' }),
  option({ name: 'svg', valueName: 'file', isPath: true, commands: ['bench'], parse: parseText, help: 'write a chart of rows/s against chunk size' }),
  option({ name: 'recommend', valueName: 'file', isPath: true, commands: ['bench'], parse: parseText, help: 'write the best chunk size and worker count as a --config file for run' }),
  option({ name: 'baseline', valueName: 'file', isPath: true, commands: ['bench'], parse: parseText, help: 'compare with a saved result (speedup and efficiency, not absolute times)' }),
  option({ name: 'maxRegression', valueName: 'pct', commands: ['bench'], parse: parsePercent, default: 10, help: 'with --baseline: exit 1 when a compared figure got worse by more' }),
  option({ name: 'saveBaseline', valueName: 'file', isPath: true, commands: ['bench'], parse: parseText, help: 'write this result for later --baseline use' }),
  // generate's snapshot.
  option({ name: 'rows', valueName: 'n', commands: ['generate'], parse: parsePositiveInteger, default: 5000, help: 'rows to generate' }),
  option({ name: 'seed', valueName: 'n', commands: ['generate'], parse: parsePositiveInteger, default: 42, help: 'random seed' }),
  option({ name: 'targets', valueName: 'n', commands: ['generate'], parse: parsePositiveInteger, default: 50, help: 'monitored targets per minute' }),
  option({ name: 'output', short: 'o', valueName: 'file', commands: ['generate'], parse: parseText, help: "write to FILE instead of stdout; '-' is stdout" }),
  // Side files, logs and the terminal.
  option({ name: 'maxRejects', valueName: 'n|p%', commands: POOL, parse: parseRejectLimit, default: parseRejectLimit('', DEFAULT_MAX_REJECTS), defaultHelp: DEFAULT_MAX_REJECTS, help: 'beyond this many rejected rows (or share of the rows) the run fails with exit 5, its output still written' }),
  option({ name: 'metricsFile', valueName: 'file', isPath: true, commands: POOL, parse: parseText, help: "write the run's figures for Prometheus (node_exporter textfile collector), atomically" }),
  option({ name: 'heartbeat', valueName: 'url', commands: POOL, parse: parseUrl, help: 'ping URL/start, then URL on success or URL/<exit status> on failure (healthchecks.io style)' }),
  option({ name: 'lock', valueName: 'file', isPath: true, commands: POOL, parse: parseText, help: 'exit at once with code 75 if another run holds this lock' }),
  option({ name: 'timingJson', valueName: 'file', isPath: true, commands: POOL, parse: parseText, help: 'write the timing figures as JSON' }),
  option({ name: 'logFormat', valueName: 'format', commands: SERVE_POOL, parse: choiceOf(['human', 'json']), default: 'human', help: "'human' or 'json': one JSON object per line on stderr" }),
  option({ name: 'quiet', short: 'q', commands: MODELS, parse: parseBoolean, default: false, help: 'print nothing but errors' }),
  option({ name: 'progress', isNegated: true, commands: SCORING, parse: parseBoolean, default: true, help: 'never show a progress bar' }),
  option({ name: 'warmUp', isNegated: true, commands: SERVE_POOL, parse: parseBoolean, default: true, help: 'skip the warm-up sample each worker scores before the timed work' }),
  // Where options come from.
  option({ name: 'config', valueName: 'file', commands: MODELS, parse: parseText, layers: ['env'], help: 'options as JSON: flags > BATCH_INFER_* environment > this file > the manifest\'s run section > defaults' }),
  option({ name: 'printConfig', commands: MODELS, parse: parseBoolean, default: false, layers: [], help: 'print the resolved options and where each came from, then exit' }),
  option({ name: 'debug', commands: ['run', 'replay', 'bench', 'generate', 'inspect', 'serve'], parse: parseBoolean, default: false, layers: [], isGlobal: true, help: 'print stack traces for errors' }),
] as const;

export type AnyOptionEntry = (typeof OPTION_TABLE)[number];

type EntryOf<C extends CommandName> = AnyOptionEntry extends infer E ? (E extends { commands: readonly (infer K)[] } ? (C extends K ? E : never) : never) : never;

type ValueOf<E> = E extends OptionEntry<string, readonly CommandName[], infer T, infer D> ? (undefined extends D ? T | undefined : T) : never;

export type OptionSource = 'flag' | 'env' | 'config' | 'manifest' | 'default';

export interface OptionValue<T> {
  value: T;
  source: OptionSource;
  /** How a message names it: '--chunk-size', 'BATCH_INFER_CHUNK_SIZE' or "--config c.json: chunkSize". */
  label: string;
}

/** A command's options, each parsed, with its default and where it came from. */
export type OptionValues<C extends CommandName> = { [E in EntryOf<C> as E['name']]: OptionValue<ValueOf<E>> };

export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The flag as typed: --chunk-size, --no-progress. */
export function flagOf(entry: OptionEntry): string {
  return `--${entry.isNegated === true ? 'no-' : ''}${kebabCase(entry.name)}`;
}

/** The flag a message names for an option by name: --chunk-size. */
export function flagName(name: string): string {
  return `--${kebabCase(name)}`;
}

export function envName(name: string): string {
  return `BATCH_INFER_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export function takesLayer(entry: OptionEntry, layer: OptionLayer): boolean {
  return (entry.layers ?? ['env', 'config']).includes(layer);
}

export function optionsOf(command: CommandName): OptionEntry[] {
  return OPTION_TABLE.filter((entry) => (entry.commands as readonly CommandName[]).includes(command));
}

/** What --help shows for an option: its help text and its default. */
export function describeOption(entry: OptionEntry): string {
  const isSwitch = entry.valueName === undefined;
  const shown = entry.defaultHelp ?? (isSwitch || entry.default === undefined ? undefined : String(entry.default));
  return shown === undefined ? entry.help : `${entry.help} (default: ${shown})`;
}
