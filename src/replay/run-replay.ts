/**
 * `replay` as a library call: many snapshots through one pool (models loaded once), every one, small or large,
 * through the same scoreSnapshot as `run`. Reading the next snapshot overlaps with scoring the current ones.
 * One output (and one rejects file, only when there are rejects) per input in the out dir, each written
 * atomically; the journal (journal.ts) records what completed, so that --resume skips it and redoes the rest. A
 * snapshot that fails (unreadable, wrong header) is reported and skipped; the others still run.
 */

import { resolveEngines, type EngineChoice } from '../model/choose-engine.js';
import { createHash } from 'node:crypto';
import { mkdirSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BatchInferError, describeError, ExitCode } from '../errors.js';
import type { Manifest } from '../model/manifest.js';
import type { InputFormat, OutputFormat } from '../model/scoring-plan.js';
import type { NamedFile } from '../output/output-paths.js';
import { openFileSink, openLazyFileSink, type OutputSink } from '../output/write-output.js';
import type { Isolation } from '../pool/scoring-pool.js';
import { scoreSnapshot, type PoolHandle, type RunProgress, type SnapshotOptions } from '../snapshot/score-snapshot.js';
import { startPool } from '../snapshot/start-pool.js';
import type { ReplayInput } from './find-inputs.js';
import { isComplete, JOURNAL_FILE, JournalWriter, readJournal, type JournalEntry } from './journal.js';

export { JOURNAL_FILE, readJournal, type JournalEntry } from './journal.js';

/** The snapshot options replay passes on to every snapshot, as run's are resolved. */
type SharedSnapshotOptions = Pick<
  SnapshotOptions,
  'outputFormat' | 'parser' | 'batchRows' | 'chunkSize' | 'balanceFor' | 'maxInFlight' | 'maxRecordBytes' | 'retries' | 'chunkTimeoutMs' | 'warmUp' | 'signal'
>;

export interface ReplayOptions extends SharedSnapshotOptions {
  inputs: ReplayInput[];
  outDir: string;
  isResume: boolean;
  manifest: Manifest;
  workers: number;
  isolation: Isolation;
  /** --engine (see choose-engine.ts). Undefined: onnxruntime. */
  engine?: EngineChoice;
  inputFormat: InputFormat | undefined;
}

export interface SnapshotResult {
  input: string;
  status: 'done' | 'skipped' | 'failed';
  rows: number;
  rowsOut: number;
  rowsRejected: number;
  ms: number;
  /** When it completed, in ms since the replay's pool was ready. */
  finishedAtMs: number;
  error?: string;
}

export interface ReplaySummary {
  snapshots: number;
  done: number;
  skipped: number;
  failed: number;
  rows: number;
  rowsOut: number;
  rowsRejected: number;
  poolStarts: number;
  startupMs: number;
  wallMs: number;
  /** Rows scored per second of replay time (after the pool started). */
  rowsPerSec: number;
  slowest: { input: string; ms: number } | undefined;
  results: SnapshotResult[];
}

export interface ReplayHooks {
  onSnapshotStart?: (index: number, input: string) => void;
  onProgress?: (progress: RunProgress) => void;
  onSnapshotDone?: (result: SnapshotResult, index: number) => void;
  /** A line for people: a model sent to onnxruntime by a fallback. */
  onNotice?: (message: string) => void;
}

/**
 * A snapshot up to this size is one chunk, and more of them are scored at once: a day's replay (1,440 files of
 * 2,000 rows) is limited by the main thread's per-file work, which then overlaps the workers' scoring.
 */
const SMALL_SNAPSHOT_BYTES = 1 << 20;

function isSmallSnapshot(stat: Stats | undefined): boolean {
  return stat !== undefined && stat.size <= SMALL_SNAPSHOT_BYTES;
}

export function outputNames(input: string, outputFormat: OutputFormat): { output: string; rejects: string } {
  const base = basename(input).replace(/\.gz$/i, '').replace(/\.(csv|ndjson|jsonl)$/i, '');
  return { output: `${base}.out.${outputFormat === 'csv' ? 'csv' : 'ndjson'}`, rejects: `${base}.rejects.csv` };
}

/** Every file a replay writes in the out dir (a name two inputs share is reported by runReplay). */
export function filesWrittenByReplay(inputs: readonly ReplayInput[], outDir: string, outputFormat: OutputFormat): NamedFile[] {
  const names = new Set([JOURNAL_FILE, ...inputs.flatMap(({ path }) => Object.values(outputNames(path, outputFormat)))]);
  return [...names].map((name) => ({ name: `--out-dir ${join(outDir, name)}`, path: join(outDir, name) }));
}

function refuseSharedOutputNames(options: ReplayOptions): void {
  const names = new Map<string, string>();
  for (const { path } of options.inputs) {
    const { output } = outputNames(path, options.outputFormat);
    const other = names.get(output);
    if (other !== undefined) throw new BatchInferError('USAGE', `${path} and ${other} would both write ${output} in --out-dir; replay them separately`);
    names.set(output, path);
  }
}

/** A sink that also hashes what passes through it, for the journal's checksum. */
function hashing(sink: OutputSink): OutputSink & { digest: () => string } {
  const hash = createHash('sha256');
  return {
    async write(bytes) {
      hash.update(bytes);
      await sink.write(bytes);
    },
    commit: () => sink.commit(),
    abort: () => sink.abort(),
    digest: () => hash.digest('hex'),
  };
}

interface ReplayContext {
  handle: PoolHandle;
  options: ReplayOptions;
  journal: JournalWriter;
  hooks: ReplayHooks;
  replayStart: number;
  results: SnapshotResult[];
}

/**
 * Scores one snapshot into the out dir and journals it; resolves `onInputRead` once its input is read and cut.
 * An interrupt, or a pool that can no longer score, rejects (it stops the replay); a bad snapshot does not.
 */
async function replaySnapshot(context: ReplayContext, index: number, path: string, stat: Stats | undefined, isFirst: boolean, onInputRead: () => void): Promise<void> {
  const { options, hooks } = context;
  const isSmall = isSmallSnapshot(stat);
  const names = outputNames(path, options.outputFormat);
  const start = performance.now();
  let output: ReturnType<typeof hashing> | undefined;
  let rejects: OutputSink | undefined;
  let result: SnapshotResult;
  try {
    output = hashing(openFileSink(join(options.outDir, names.output), '--out-dir'));
    rejects = openLazyFileSink(join(options.outDir, names.rejects), '--out-dir');
    const timing = await scoreSnapshot(
      context.handle,
      {
        input: { path, format: options.inputFormat },
        outputFormat: options.outputFormat,
        parser: options.parser,
        batchRows: options.batchRows,
        output,
        rejects,
        // A small snapshot is one chunk: one hand-over to a worker instead of several.
        chunkSize: isSmall ? Number.POSITIVE_INFINITY : options.chunkSize,
        balanceFor: isSmall ? undefined : options.balanceFor,
        maxInFlight: options.maxInFlight,
        maxRecordBytes: options.maxRecordBytes,
        retries: options.retries,
        chunkTimeoutMs: options.chunkTimeoutMs,
        compare: false,
        warmUp: options.warmUp && isFirst,
        deadline: undefined,
        signal: options.signal,
      },
      { onInputRead, onProgress: hooks.onProgress },
    );
    const ms = performance.now() - start;
    const counts = { rows: timing.rows, rowsOut: timing.rowsOut, rowsRejected: timing.rowsRejected };
    const entry: JournalEntry = { input: path, size: stat?.size ?? 0, mtimeMs: stat?.mtimeMs ?? 0, ...counts, output: names.output, outputSha256: output.digest(), rejects: names.rejects, ms, completedAt: new Date().toISOString() };
    context.journal.append(entry);
    result = { input: path, status: 'done', ...counts, ms, finishedAtMs: performance.now() - context.replayStart };
  } catch (error) {
    output?.abort();
    rejects?.abort();
    // What no later snapshot can escape (an interrupt, a pool that cannot score, a full disk) stops the replay.
    if (!(error instanceof BatchInferError) || ['INTERRUPTED', 'MODEL_LOAD', 'OUTPUT_WRITE_FAILED'].includes(error.code)) throw error;
    const ms = performance.now() - start;
    result = { input: path, status: 'failed', rows: 0, rowsOut: 0, rowsRejected: 0, ms, finishedAtMs: performance.now() - context.replayStart, error: describeError(error) };
  } finally {
    onInputRead();
  }
  context.results.push(result);
  hooks.onSnapshotDone?.(result, index);
}

function outDirError(outDir: string, reason: string): BatchInferError {
  return new BatchInferError('OUTPUT_UNWRITABLE', `--out-dir ${outDir}: ${reason}`);
}

/**
 * The directories of --out-dir that do not exist yet, outermost first; throws, naming the flag, when the path runs
 * through something that is not a directory. Creates nothing, so the command can check it before any output.
 */
export function missingOutDirs(outDir: string): string[] {
  const missing: string[] = [];
  let at = resolve(outDir);
  for (;;) {
    let stat: Stats | undefined;
    try {
      stat = statSync(at, { throwIfNoEntry: false });
    } catch (error) {
      // ENOTDIR: a parent is a file; found as the walk goes up.
      if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw outDirError(outDir, describeError(error));
    }
    if (stat !== undefined) {
      if (!stat.isDirectory()) throw outDirError(outDir, at === resolve(outDir) ? 'is not a directory' : `${at} is not a directory`);
      return missing;
    }
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) return missing;
    at = parent;
  }
}

/**
 * Creates --out-dir and any missing parents, one level at a time, naming the flag in every failure. (A
 * recursive mkdirSync spun at full CPU for ever under /proc, and a path through a file gave a raw ENOTDIR.)
 */
function createOutDir(outDir: string): void {
  for (const directory of missingOutDirs(outDir)) {
    try {
      mkdirSync(directory);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(directory, { throwIfNoEntry: false })?.isDirectory() === true) continue;
      throw outDirError(outDir, `cannot create ${directory}: ${code ?? describeError(error)}`);
    }
  }
}

export async function runReplay(options: ReplayOptions, hooks: ReplayHooks = {}): Promise<ReplaySummary> {
  createOutDir(options.outDir);
  refuseSharedOutputNames(options);
  const journalled = options.isResume ? readJournal(options.outDir) : new Map<string, JournalEntry>();
  const manifest = await resolveEngines(options.manifest, options.engine ?? 'onnxruntime', (message) => hooks.onNotice?.(message));
  const handle = await startPool(manifest, options.workers, options.isolation);
  const journal = new JournalWriter(options.outDir);
  const context: ReplayContext = { handle, options, journal, hooks, replayStart: performance.now(), results: [] };
  try {
    // Jobs never reject: an error that stops the replay is kept here, and every job still settles before the
    // pool is stopped (leaving the loop on the first rejection used to stop it under chunks still running).
    const active = new Set<Promise<void>>();
    let fatal: { error: unknown } | undefined;
    let isFirst = true;
    for (const [index, { path }] of options.inputs.entries()) {
      if (options.signal?.aborted || fatal !== undefined) break;
      const entry = journalled.get(path);
      if (options.isResume && isComplete(entry, path, options.outDir)) {
        const result: SnapshotResult = { input: path, status: 'skipped', rows: entry.rows, rowsOut: entry.rowsOut, rowsRejected: entry.rowsRejected, ms: 0, finishedAtMs: performance.now() - context.replayStart };
        context.results.push(result);
        hooks.onSnapshotDone?.(result, index);
        continue;
      }
      const stat = statSync(path, { throwIfNoEntry: false });
      // Enough snapshots at once to keep every worker busy while the next one is read and cut; more when they
      // are small, so that this thread's per-file work overlaps the workers' scoring.
      const maxActive = isSmallSnapshot(stat) ? options.workers * 2 : options.workers + 1;
      while (active.size >= maxActive) await Promise.race(active);
      let markRead: () => void = () => undefined;
      const inputRead = new Promise<void>((resolve) => (markRead = resolve));
      hooks.onSnapshotStart?.(index, path);
      const job = replaySnapshot(context, index, path, stat, isFirst, markRead)
        .catch((error: unknown) => {
          fatal ??= { error };
        })
        .finally(() => active.delete(job));
      active.add(job);
      isFirst = false;
      await inputRead;
    }
    await Promise.all(active);
    // An interrupt is what the user must see, whatever a snapshot's job said about it.
    if (options.signal?.aborted) {
      const exitCode = options.signal.reason === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
      throw new BatchInferError('INTERRUPTED', `stopped by ${String(options.signal.reason)}; completed snapshots are kept (use --resume)`, { exitCode });
    }
    if (fatal !== undefined) throw fatal.error;
  } finally {
    journal.close();
    await handle.pool.destroy();
  }
  return summarise(options, context.results, handle.started.startupMs, performance.now() - context.replayStart);
}

function summarise(options: ReplayOptions, results: SnapshotResult[], startupMs: number, wallMs: number): ReplaySummary {
  const order = new Map(options.inputs.map((input, i) => [input.path, i]));
  const done = results.filter((r) => r.status === 'done');
  const scoredRows = done.reduce((n, r) => n + r.rows, 0);
  const slowest = done.reduce<SnapshotResult | undefined>((worst, r) => (worst === undefined || r.ms > worst.ms ? r : worst), undefined);
  return {
    snapshots: options.inputs.length,
    done: done.length,
    skipped: results.filter((r) => r.status === 'skipped').length,
    failed: results.filter((r) => r.status === 'failed').length,
    rows: results.reduce((n, r) => n + r.rows, 0),
    rowsOut: results.reduce((n, r) => n + r.rowsOut, 0),
    rowsRejected: results.reduce((n, r) => n + r.rowsRejected, 0),
    poolStarts: 1,
    startupMs,
    wallMs,
    rowsPerSec: wallMs > 0 ? (scoredRows / wallMs) * 1000 : 0,
    slowest: slowest === undefined ? undefined : { input: slowest.input, ms: slowest.ms },
    results: results.sort((a, b) => (order.get(a.input) ?? 0) - (order.get(b.input) ?? 0)),
  };
}
