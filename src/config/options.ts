/**
 * The high level: from a command's parsed option values (read-options.ts) to what the command runs with, one
 * typed object per command. Here the manifest is loaded and the defaults that depend on something else are
 * derived (workers and chunk size from the manifest's `run` section, in-flight chunks from the workers).
 */

import { loadManifest, manifestForModel, type Manifest } from '../model/manifest.js';
import type { RunOptions } from '../snapshot/run-snapshot.js';
import { checkWorkerCount, usage, type RejectLimit } from './parse-values.js';
import { DEFAULT_CHUNK_SIZE, defaultWorkers, type CommandName, type OptionSource, type OptionValue, type OptionValues } from './option-table.js';
import { explainValues, type Explained } from './read-options.js';


export type LogFormat = 'human' | 'json';

export interface ResolvedRun {
  run: RunOptions;
  timingJson: string | undefined;
  isQuiet: boolean;
  isShowProgress: boolean;
  logFormat: LogFormat;
  lock: string | undefined;
  maxRejects: RejectLimit;
  metricsFile: string | undefined;
  heartbeat: string | undefined;
  /** Every resolved option with where its value came from, for --print-config. */
  explained: Explained;
}

export interface ResolvedReplay extends ResolvedRun {
  outDir: string;
  isResume: boolean;
  /** Epoch milliseconds: only inputs whose file-name time is in [from, to). */
  from: number | undefined;
  to: number | undefined;
}

type ManifestValues = Pick<OptionValues<'bench'>, 'manifest' | 'model' | 'features' | 'passthrough'>;

/** The options run and replay share. */
type PoolValues = Pick<OptionValues<'run'>, keyof OptionValues<'run'> & keyof OptionValues<'replay'>>;

export function resolveManifest(values: ManifestValues): Manifest {
  const { manifest, model, features, passthrough } = values;
  if (manifest.value !== undefined && model.value !== undefined) usage('give --manifest or --model, not both');
  if (manifest.value !== undefined) {
    if (features.value !== undefined) usage('--features goes with --model; a manifest names its own columns');
    const loaded = loadManifest(manifest.value);
    if (passthrough.value !== undefined) loaded.passthrough = passthrough.value;
    return loaded;
  }
  if (model.value === undefined) usage('--manifest FILE (or --model FILE.onnx) is required');
  return manifestForModel(model.value, features.value, passthrough.value);
}

/** A value given (flag, environment, config), else the manifest's, else the default. */
function givenOr<T>(given: OptionValue<T | undefined>, fromManifest: T | undefined, fallback: () => T): { value: T; source: OptionSource } {
  if (given.value !== undefined) return { value: given.value, source: given.source };
  if (fromManifest !== undefined) return { value: fromManifest, source: 'manifest' };
  return { value: fallback(), source: 'default' };
}

/** The manifest, with what --print-config says about it. */
function resolveManifestExplained(values: ManifestValues, explained: Explained): Manifest {
  const manifest = resolveManifest(values);
  explained.manifest = { value: manifest.source, source: (values.manifest.value === undefined ? values.model : values.manifest).source };
  return manifest;
}

function resolvePoolOptions(command: CommandName, input: string | undefined, values: PoolValues, isStderrTty: boolean): ResolvedRun {
  const explained = explainValues(command, values);
  const manifest = resolveManifestExplained(values, explained);
  const workers = givenOr(values.workers, manifest.run.workers, defaultWorkers);
  if (workers.source === 'manifest') checkWorkerCount(`${manifest.source}: $.run.workers`, workers.value, 'MANIFEST_INVALID');
  const chunkSize = givenOr(values.chunkSize, manifest.run.chunkSize, () => DEFAULT_CHUNK_SIZE);
  const maxInFlight = givenOr(values.maxInFlight, undefined, () => workers.value * 4);
  Object.assign(explained, { workers, chunkSize, maxInFlight });
  const isQuiet = values.quiet.value;
  const run: RunOptions = {
    input: { path: input, format: values.format.value },
    outputFormat: values.outputFormat.value,
    parser: values.parser.value,
    output: undefined,
    rejects: undefined,
    manifest,
    workers: workers.value,
    chunkSize: chunkSize.value,
    // Balanced over the workers unless the chunk size was chosen (a flag, the environment, a config or the
    // manifest): then every chunk has exactly that many rows.
    balanceFor: chunkSize.source === 'default' ? workers.value : undefined,
    batchRows: values.batchRows.value,
    maxInFlight: maxInFlight.value,
    maxRecordBytes: values.maxLineBytes.value,
    retries: values.retries.value,
    chunkTimeoutMs: values.chunkTimeout.value,
    isolation: values.isolation.value,
    engine: values.engine.value,
    compare: false,
    warmUp: values.warmUp.value,
    deadline: undefined,
    signal: undefined,
    remote: undefined,
  };
  return {
    run,
    timingJson: values.timingJson.value,
    isQuiet,
    // Like knip: a bar only on a terminal, and never when asked for quiet or no progress.
    isShowProgress: isStderrTty && !isQuiet && values.progress.value,
    logFormat: values.logFormat.value,
    lock: values.lock.value,
    maxRejects: values.maxRejects.value,
    metricsFile: values.metricsFile.value,
    heartbeat: values.heartbeat.value,
    explained,
  };
}

export function resolveRunOptions(input: string | undefined, values: OptionValues<'run'>, isStderrTty: boolean): ResolvedRun {
  const resolved = resolvePoolOptions('run', input, values, isStderrTty);
  const run = resolved.run;
  // '-' is stdout, as it is stdin for the input.
  run.output = values.output.value === '-' ? undefined : values.output.value;
  run.rejects = values.rejects.value;
  run.compare = values.compare.value;
  // Measured from process start, as a scheduler sees it.
  if (values.deadline.value !== undefined) run.deadline = { at: values.deadline.value, mode: values.onDeadline.value };
  if (values.endpoint.value !== undefined) {
    run.remote = {
      endpoint: values.endpoint.value,
      modelName: values.modelName.value,
      concurrency: values.concurrency.value,
      timeoutMs: values.requestTimeout.value,
      tokenEnv: values.tokenEnv.value,
      retries: run.retries,
    };
    // A server's parallelism is its concurrency, not the workers: chunks keep the size asked for.
    run.balanceFor = undefined;
  }
  return resolved;
}

export function resolveReplayOptions(values: OptionValues<'replay'>, isStderrTty: boolean): ResolvedReplay {
  if (values.outDir.value === undefined) usage('--out-dir DIR is required');
  return {
    ...resolvePoolOptions('replay', undefined, values, isStderrTty),
    outDir: values.outDir.value,
    isResume: values.resume.value,
    from: values.from.value,
    to: values.to.value,
  };
}

export interface ResolvedBench {
  manifest: Manifest;
  /** Synthesize this many rows instead of reading an input. */
  rows: number | undefined;
  seed: number;
  format: OptionValues<'bench'>['format']['value'];
  parser: OptionValues<'bench'>['parser']['value'];
  isolation: OptionValues<'bench'>['isolation']['value'];
  engine: OptionValues<'bench'>['engine']['value'];
  chunkSizes: number[];
  workers: number[];
  warmup: number;
  rule: { repeats: number; stabilityPercent: number; maxRepeats: number };
  baseline: string | undefined;
  maxRegression: number;
  /** Report files by option name (json, saveBaseline, csv, markdown, svg, recommend); undefined: not written. */
  reports: Record<'json' | 'saveBaseline' | 'csv' | 'markdown' | 'svg' | 'recommend', string | undefined>;
  isQuiet: boolean;
  isShowProgress: boolean;
  explained: Explained;
}

export function resolveBenchOptions(input: string | undefined, values: OptionValues<'bench'>, isStderrTty: boolean): ResolvedBench {
  if (input !== undefined && values.rows.value !== undefined) usage(`give an input file or ${values.rows.label} N, not both`);
  const { repeats, maxRepeats } = values;
  if (maxRepeats.value < repeats.value) usage(`${maxRepeats.label} ${maxRepeats.value} is below ${repeats.label} ${repeats.value}`);
  const explained = explainValues('bench', values);
  const manifest = resolveManifestExplained(values, explained);
  const workers = givenOr(values.workers, undefined, () => Array.from({ length: defaultWorkers() }, (_, i) => i + 1));
  explained.workers = workers;
  const isQuiet = values.quiet.value;
  return {
    manifest,
    rows: values.rows.value,
    seed: values.seed.value,
    format: values.format.value,
    parser: values.parser.value,
    isolation: values.isolation.value,
    engine: values.engine.value,
    chunkSizes: values.chunkSizes.value,
    workers: workers.value,
    warmup: values.warmup.value,
    rule: { repeats: repeats.value, stabilityPercent: values.stability.value, maxRepeats: maxRepeats.value },
    baseline: values.baseline.value,
    maxRegression: values.maxRegression.value,
    reports: {
      json: values.json.value,
      saveBaseline: values.saveBaseline.value,
      csv: values.csv.value,
      markdown: values.markdown.value,
      svg: values.svg.value,
      recommend: values.recommend.value,
    },
    isQuiet,
    isShowProgress: isStderrTty && !isQuiet && values.progress.value,
    explained,
  };
}
