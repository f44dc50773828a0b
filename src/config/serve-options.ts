/**
 * serve's high level: from its parsed option values to what the server runs with. The per-snapshot values are
 * the ones `run` takes (and default as `run` does); the rest is the listener, its limits and its token.
 */

import type { EngineChoice } from '../model/choose-engine.js';
import type { Manifest } from '../model/manifest.js';
import type { Isolation } from '../pool/scoring-pool.js';
import type { SnapshotOptions } from '../snapshot/snapshot-options.js';
import { DEFAULT_CHUNK_SIZE, defaultWorkers, optionsOf, type OptionValues } from './option-table.js';
import { checkWorkerCount, usage } from './parse-values.js';
import { resolveManifest, type LogFormat } from './options.js';
import { explainValues, type Explained } from './read-options.js';
import { snapshotOptions } from './snapshot-defaults.js';

/** What every request's snapshot starts from; a request may change its output format and deadline. */
export type SnapshotDefaults = Omit<SnapshotOptions, 'input' | 'output' | 'rejects' | 'deadline' | 'signal'>;

export interface ServeSettings {
  manifest: Manifest;
  /** Read again from here on SIGHUP (undefined with --model: the same model file is loaded again). */
  manifestPath: string | undefined;
  workers: number;
  isolation: Isolation;
  /** --engine, decided again for every pool (a reload); undefined: onnxruntime, as for a library run. */
  engine?: EngineChoice;
  snapshot: SnapshotDefaults;
  host: string;
  port: number;
  /** The bearer token every request must carry, if one is asked for. */
  token: string | undefined;
  maxBodyBytes: number;
  maxActive: number;
  maxQueue: number;
  shutdownGraceMs: number;
  logFormat: LogFormat;
  isQuiet: boolean;
}

export interface ResolvedServe {
  settings: ServeSettings;
  explained: Explained;
}

export function resolveServeOptions(values: OptionValues<'serve'>, env: NodeJS.ProcessEnv = process.env): ResolvedServe {
  const explained = explainValues('serve', values);
  const manifest = resolveManifest(values);
  const given = values.workers.value ?? manifest.run.workers;
  const workers = given ?? defaultWorkers();
  if (values.workers.value === undefined && given !== undefined) checkWorkerCount(`${manifest.source}: $.run.workers`, given, 'MANIFEST_INVALID');
  const chunkSize = values.chunkSize.value ?? manifest.run.chunkSize;
  if (values.port.value > 65535) usage(`${values.port.label} must be a port number (0 to 65535), got ${values.port.value}`);
  return {
    explained,
    settings: {
      manifest,
      manifestPath: values.manifest.value,
      workers,
      isolation: values.isolation.value,
      engine: values.engine.value,
      snapshot: {
        outputFormat: values.outputFormat.value,
        parser: values.parser.value,
        batchRows: values.batchRows.value,
        chunkSize: chunkSize ?? DEFAULT_CHUNK_SIZE,
        // As run: balanced over the workers unless a chunk size was chosen.
        balanceFor: chunkSize === undefined ? workers : undefined,
        maxInFlight: values.maxInFlight.value ?? workers * 4,
        maxRecordBytes: values.maxLineBytes.value,
        retries: values.retries.value,
        chunkTimeoutMs: values.chunkTimeout.value,
        compare: false,
        warmUp: values.warmUp.value,
      },
      host: values.host.value,
      port: values.port.value,
      token: readToken(values.tokenEnv.value, env),
      maxBodyBytes: values.maxBodyBytes.value,
      maxActive: values.maxActive.value,
      maxQueue: values.maxQueue.value,
      shutdownGraceMs: values.shutdownGrace.value,
      logFormat: values.logFormat.value,
      isQuiet: values.quiet.value,
    },
  };
}

/** A token asked for must be there: a server started without it would accept anyone. */
function readToken(name: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (name === undefined) return undefined;
  const token = env[name];
  if (token === undefined || token === '') usage(`--token-env ${name}: the variable is not set or empty`);
  return token;
}

/** The option table's default for one of serve's options: the library and the CLI cannot drift apart. */
function tableDefault<N extends keyof OptionValues<'serve'>>(name: N): NonNullable<OptionValues<'serve'>[N]['value']> {
  return optionsOf('serve').find((entry) => entry.name === name)!.default as NonNullable<OptionValues<'serve'>[N]['value']>;
}

/** ServeSettings with serve's defaults for whatever is not given, for a service that embeds the server. */
export function serveSettings(manifest: Manifest, given: Partial<Omit<ServeSettings, 'snapshot'>> & { snapshot?: Partial<SnapshotDefaults> } = {}): ServeSettings {
  const workers = given.workers ?? manifest.run.workers ?? defaultWorkers();
  const chunkSize = given.snapshot?.chunkSize ?? manifest.run.chunkSize;
  const { input: _input, output: _output, rejects: _rejects, deadline: _deadline, signal: _signal, ...snapshot } = snapshotOptions(workers, { input: { path: undefined, format: undefined }, output: undefined, ...(chunkSize === undefined ? {} : { chunkSize }) });
  return {
    manifestPath: undefined,
    isolation: 'thread',
    host: tableDefault('host'),
    port: tableDefault('port'),
    token: undefined,
    maxBodyBytes: tableDefault('maxBodyBytes'),
    maxActive: tableDefault('maxActive'),
    maxQueue: tableDefault('maxQueue'),
    shutdownGraceMs: tableDefault('shutdownGrace'),
    logFormat: 'human',
    isQuiet: false,
    ...given,
    manifest,
    workers,
    snapshot: { ...snapshot, ...given.snapshot },
  };
}
