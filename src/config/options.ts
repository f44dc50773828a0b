/**
 * Options in, one resolved and typed set out. Every option can come from a flag, a BATCH_INFER_* environment
 * variable or a --config JSON file: flags win over the environment, the environment over the file, and the
 * file over the manifest's `run` section and the defaults. Every bad value is named with where it came from.
 */

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { BatchInferError } from '../errors.js';
import { loadManifest, manifestForModel, type Manifest } from '../model/manifest.js';
import type { CsvParser, InputFormat, OutputFormat } from '../model/scoring-plan.js';
import type { Isolation } from '../pool/scoring-pool.js';
import type { RunOptions } from '../snapshot/run-snapshot.js';

/**
 * Rows per chunk, by default a target (see balancedChunkRows in snapshot/balanced-chunks.ts): large enough that a chunk's
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
/** Far longer than any real record, small enough that one broken line cannot take the memory. */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

/** One worker per core: each worker runs one single-threaded session at a time. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** Every option `run` takes, by its camelCase name; the flag is its kebab-case form. */
export const RUN_OPTION_NAMES = [
  'manifest', 'model', 'features', 'passthrough', 'format', 'outputFormat', 'parser', 'output', 'rejects',
  'workers', 'chunkSize', 'batchRows', 'maxInFlight', 'compare', 'timingJson', 'quiet', 'progress', 'warmUp', 'retries',
  'chunkTimeout', 'isolation', 'maxLineBytes', 'deadline', 'onDeadline', 'lock', 'logFormat',
  'endpoint', 'modelName', 'concurrency', 'requestTimeout', 'tokenEnv',
] as const;
export type RunOptionName = (typeof RUN_OPTION_NAMES)[number];

export type OptionSource = 'flag' | 'env' | 'config' | 'manifest' | 'default';

export interface RawValue {
  value: string | boolean | number;
  source: OptionSource;
}

export type RawOptions = Partial<Record<RunOptionName, RawValue>>;

export type LogFormat = 'human' | 'json';

export interface ResolvedRun {
  run: RunOptions;
  timingJson: string | undefined;
  isQuiet: boolean;
  isShowProgress: boolean;
  logFormat: LogFormat;
  lock: string | undefined;
  /** Every resolved option with where its value came from, for --print-config. */
  explained: Record<string, { value: unknown; source: OptionSource }>;
}

export function flagName(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export function envName(name: string): string {
  return `BATCH_INFER_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function describeSource(name: string, raw: RawValue, configFile: string | undefined): string {
  switch (raw.source) {
    case 'env':
      return envName(name);
    case 'config':
      return `${flagName(name)} (from --config ${configFile})`;
    default:
      return flagName(name);
  }
}

function usage(message: string): never {
  throw new BatchInferError('USAGE', message);
}

export function parsePositiveInteger(flag: string, raw: string | number | boolean): number {
  const text = String(raw);
  const value = Number(text);
  if (typeof raw === 'boolean' || !/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value <= 0) {
    usage(`${flag} must be a positive integer, got '${text}'`);
  }
  return value;
}

function parseCount(flag: string, raw: string | number | boolean): number {
  const text = String(raw);
  if (typeof raw === 'boolean' || !/^\s*\d+\s*$/.test(text)) usage(`${flag} must be a whole number (0 or more), got '${text}'`);
  return Number(text);
}

/** '50s', '500ms', '2m', '1h', or a bare number of seconds; returns milliseconds. */
export function parseDuration(flag: string, raw: string | number | boolean): number {
  const text = String(raw).trim();
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (typeof raw === 'boolean' || match === null) usage(`${flag} must be a duration such as 500ms, 50s or 2m, got '${String(raw)}'`);
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  const ms = Number(match[1]) * scale;
  if (ms <= 0) usage(`${flag} must be longer than zero, got '${text}'`);
  return ms;
}

function parseChoice<T extends string>(flag: string, raw: string | number | boolean, choices: readonly T[]): T {
  if (!choices.includes(String(raw) as T)) usage(`${flag} must be one of ${choices.join(', ')}, got '${String(raw)}'`);
  return String(raw) as T;
}

function parseBoolean(flag: string, raw: string | number | boolean): boolean {
  if (typeof raw === 'boolean') return raw;
  const text = String(raw).toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(text)) return false;
  usage(`${flag} must be true or false, got '${String(raw)}'`);
}

function parseList(flag: string, raw: string | number | boolean): string[] {
  const items = String(raw).split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) usage(`${flag} must be a comma-separated list of column names, got '${String(raw)}'`);
  return items;
}

/** Options that name files: in a config file, relative to the file (as a manifest's model paths are). */
const PATH_OPTIONS: readonly RunOptionName[] = ['manifest', 'model', 'output', 'rejects', 'timingJson', 'lock'];

/**
 * Options from a --config JSON file: an object whose keys are option names (camelCase or kebab-case). A relative
 * path in it is taken from the file's directory, so that the same file works from any working directory.
 */
export function readConfigFile(file: string): RawOptions {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new BatchInferError('CONFIG_INVALID', `--config ${file}: ${reason}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new BatchInferError('CONFIG_INVALID', `--config ${file}: must be a JSON object`);
  const out: RawOptions = {};
  for (const [key, value] of Object.entries(json)) {
    const name = key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as RunOptionName;
    if (!RUN_OPTION_NAMES.includes(name)) throw new BatchInferError('CONFIG_INVALID', `--config ${file}: unknown option '${key}'`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new BatchInferError('CONFIG_INVALID', `--config ${file}: '${key}' must be a string, number or boolean`);
    }
    const isRelativePath = PATH_OPTIONS.includes(name) && typeof value === 'string' && value !== '-' && !isAbsolute(value);
    out[name] = { value: isRelativePath ? resolve(dirname(file), value) : value, source: 'config' };
  }
  return out;
}

/** Options from BATCH_INFER_* variables. */
export function readEnvironment(env: NodeJS.ProcessEnv): RawOptions {
  const out: RawOptions = {};
  for (const name of RUN_OPTION_NAMES) {
    const value = env[envName(name)];
    if (value !== undefined) out[name] = { value, source: 'env' };
  }
  return out;
}

/** Flags over environment over config file. */
export function layerOptions(flags: RawOptions, env: RawOptions, config: RawOptions): RawOptions {
  return { ...config, ...env, ...flags };
}

export function resolveManifest(raw: RawOptions, label: (name: RunOptionName) => string): Manifest {
  const manifest = raw.manifest;
  const model = raw.model;
  if (manifest !== undefined && model !== undefined) usage('give --manifest or --model, not both');
  if (manifest === undefined && model === undefined) usage('--manifest FILE (or --model FILE.onnx) is required');
  const passthrough = raw.passthrough === undefined ? undefined : String(raw.passthrough.value) === '' ? [] : parseList(label('passthrough'), raw.passthrough.value);
  if (manifest !== undefined) {
    if (raw.features !== undefined) usage('--features goes with --model; a manifest names its own columns');
    const loaded = loadManifest(String(manifest.value));
    if (passthrough !== undefined) loaded.passthrough = passthrough;
    return loaded;
  }
  return manifestForModel(String(model!.value), raw.features === undefined ? undefined : parseList(label('features'), raw.features.value), passthrough);
}

export function resolveRunOptions(input: string | undefined, raw: RawOptions, isStderrTty: boolean, configFile?: string): ResolvedRun {
  const label = (name: RunOptionName): string => describeSource(name, raw[name]!, configFile);
  const explained: ResolvedRun['explained'] = {};
  function pick<T>(name: RunOptionName, parse: (flag: string, value: string | number | boolean) => T, fallback: () => { value: T; source: OptionSource }): T {
    const given = raw[name];
    const resolved = given === undefined ? fallback() : { value: parse(label(name), given.value), source: given.source };
    explained[name] = resolved;
    return resolved.value;
  }
  const manifest = resolveManifest(raw, label);
  explained.manifest = { value: manifest.source, source: (raw.manifest ?? raw.model)!.source };
  const workers = pick('workers', parsePositiveInteger, () =>
    manifest.run.workers === undefined ? { value: defaultWorkers(), source: 'default' } : { value: manifest.run.workers, source: 'manifest' },
  );
  const chunkSize = pick('chunkSize', parsePositiveInteger, () =>
    manifest.run.chunkSize === undefined ? { value: DEFAULT_CHUNK_SIZE, source: 'default' } : { value: manifest.run.chunkSize, source: 'manifest' },
  );
  const chunkSizeSource = explained.chunkSize?.source;
  const string = (_flag: string, value: string | number | boolean): string => String(value);
  const none = <T>(): { value: T | undefined; source: OptionSource } => ({ value: undefined, source: 'default' });
  const isQuiet = pick('quiet', parseBoolean, () => ({ value: false, source: 'default' }));
  const isProgress = pick('progress', parseBoolean, () => ({ value: true, source: 'default' }));
  const deadlineMs = pick('deadline', parseDuration, none<number>);
  const run: RunOptions = {
    input: { path: input, format: pick('format', (f, v) => parseChoice<InputFormat>(f, v, ['csv', 'ndjson']), none<InputFormat>) },
    outputFormat: pick('outputFormat', (f, v) => parseChoice<OutputFormat>(f, v, ['csv', 'ndjson']), () => ({ value: 'csv' as const, source: 'default' })),
    parser: pick('parser', (f, v) => parseChoice<CsvParser>(f, v, ['fast', 'reference']), () => ({ value: 'fast' as const, source: 'default' })),
    // '-' is stdout, as it is stdin for the input.
    output: pick('output', (_flag, value) => (String(value) === '-' ? undefined : String(value)), none<string>),
    rejects: pick('rejects', string, none<string>),
    manifest,
    workers,
    chunkSize,
    // Balanced over the workers unless the chunk size was chosen (a flag, the environment, a config or the
    // manifest): then every chunk has exactly that many rows.
    balanceFor: chunkSizeSource === 'default' ? workers : undefined,
    batchRows: pick('batchRows', parsePositiveInteger, () => ({ value: DEFAULT_BATCH_ROWS, source: 'default' })),
    maxInFlight: pick('maxInFlight', parsePositiveInteger, () => ({ value: workers * 4, source: 'default' })),
    maxRecordBytes: pick('maxLineBytes', parsePositiveInteger, () => ({ value: DEFAULT_MAX_LINE_BYTES, source: 'default' })),
    retries: pick('retries', parseCount, () => ({ value: DEFAULT_RETRIES, source: 'default' })),
    chunkTimeoutMs: pick('chunkTimeout', parseDuration, none<number>),
    isolation: pick('isolation', (f, v) => parseChoice<Isolation>(f, v, ['thread', 'process']), () => ({ value: 'thread' as const, source: 'default' })),
    compare: pick('compare', parseBoolean, () => ({ value: false, source: 'default' })),
    warmUp: pick('warmUp', parseBoolean, () => ({ value: true, source: 'default' })),
    deadline:
      deadlineMs === undefined
        ? undefined
        : {
            // Measured from process start, as a scheduler sees it.
            at: deadlineMs,
            mode: pick('onDeadline', (f, v) => parseChoice(f, v, ['finish', 'abort'] as const), () => ({ value: 'finish' as const, source: 'default' })),
          },
    signal: undefined,
    remote: undefined,
  };
  const endpoint = pick('endpoint', string, none<string>);
  const remoteSettings = {
    modelName: pick('modelName', string, none<string>),
    concurrency: pick('concurrency', parsePositiveInteger, none<number>),
    timeoutMs: pick('requestTimeout', parseDuration, () => ({ value: 30_000, source: 'default' })),
    tokenEnv: pick('tokenEnv', string, () => ({ value: 'BATCH_INFER_TOKEN', source: 'default' })),
  };
  if (endpoint !== undefined) {
    if (!/^https?:\/\/[^/]+/.test(endpoint)) usage(`${label('endpoint')} must be an http:// or https:// URL, got '${endpoint}'`);
    run.remote = { endpoint, ...remoteSettings, retries: run.retries };
    // A server's parallelism is its concurrency, not the workers: chunks keep the size asked for.
    run.balanceFor = undefined;
  }
  if (deadlineMs === undefined) pick('onDeadline', (f, v) => parseChoice(f, v, ['finish', 'abort'] as const), () => ({ value: 'finish' as const, source: 'default' }));
  return {
    run,
    timingJson: pick('timingJson', string, none<string>),
    isQuiet,
    // Like knip: a bar only on a terminal, and never when asked for quiet or no progress.
    isShowProgress: isStderrTty && !isQuiet && isProgress,
    logFormat: pick('logFormat', (f, v) => parseChoice<LogFormat>(f, v, ['human', 'json']), () => ({ value: 'human' as const, source: 'default' })),
    lock: pick('lock', string, none<string>),
    explained,
  };
}
