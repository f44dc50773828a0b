/**
 * `replay` as a library call: many snapshots through one pool (models loaded once). Reading the next snapshot
 * overlaps with scoring the current one. One output (and one rejects file) per input in the out dir, each
 * written atomically; a journal in the out dir records what completed, so that --resume skips it and redoes
 * the rest. A snapshot that fails (unreadable, wrong header) is reported and skipped; the others still run.
 */

import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BatchInferError, describeError } from '../errors.js';
import type { ReplayInput } from './find-inputs.js';
import type { Manifest } from '../model/manifest.js';
import type { NamedFile } from '../output/output-paths.js';
import { isOwnTemporaryName, openFileSink, openLazyFileSink, type OutputSink } from '../output/write-output.js';
import type { CsvParser, InputFormat, OutputFormat } from '../model/scoring-plan.js';
import { ChunkFailure, type Isolation, type ScoringPool } from '../pool/scoring-pool.js';
import { scoreSnapshot, type RunProgress } from '../snapshot/score-snapshot.js';
import { startPool } from '../snapshot/start-pool.js';

export const JOURNAL_FILE = 'replay-journal.ndjson';

export interface ReplayOptions {
  inputs: ReplayInput[];
  outDir: string;
  isResume: boolean;
  manifest: Manifest;
  workers: number;
  isolation: Isolation;
  inputFormat: InputFormat | undefined;
  outputFormat: OutputFormat;
  parser: CsvParser;
  batchRows: number;
  chunkSize: number;
  /** See SnapshotOptions.balanceFor. */
  balanceFor: number | undefined;
  maxInFlight: number;
  maxRecordBytes: number;
  retries: number;
  chunkTimeoutMs: number | undefined;
  warmUp: boolean;
  signal: AbortSignal | undefined;
}

export interface JournalEntry {
  input: string;
  size: number;
  mtimeMs: number;
  rows: number;
  rowsOut: number;
  rowsRejected: number;
  output: string;
  outputSha256: string;
  /** Written only when the snapshot had rejects. */
  rejects: string;
  ms: number;
  completedAt: string;
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

export function outputNames(input: string, outputFormat: OutputFormat): { output: string; rejects: string } {
  const base = basename(input).replace(/\.gz$/i, '').replace(/\.(csv|ndjson|jsonl)$/i, '');
  return { output: `${base}.out.${outputFormat === 'csv' ? 'csv' : 'ndjson'}`, rejects: `${base}.rejects.csv` };
}

/** Every file a replay writes in the out dir (a name two inputs share is reported by runReplay). */
export function filesWrittenByReplay(inputs: readonly ReplayInput[], outDir: string, outputFormat: OutputFormat): NamedFile[] {
  const names = new Set([JOURNAL_FILE, ...inputs.flatMap(({ path }) => Object.values(outputNames(path, outputFormat)))]);
  return [...names].map((name) => ({ name: `--out-dir ${join(outDir, name)}`, path: join(outDir, name) }));
}

/** The journal's last word on each input; a line cut short by a kill is ignored. */
export function readJournal(outDir: string): Map<string, JournalEntry> {
  const entries = new Map<string, JournalEntry>();
  const file = join(outDir, JOURNAL_FILE);
  if (!existsSync(file)) return entries;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    try {
      const entry = JSON.parse(line) as JournalEntry;
      if (typeof entry.input === 'string') entries.set(entry.input, entry);
    } catch {
      // A partial last line from a run that was killed mid-write.
    }
  }
  return entries;
}

function isComplete(entry: JournalEntry | undefined, input: string, outDir: string): boolean {
  if (entry === undefined) return false;
  try {
    const stat = statSync(input);
    if (stat.size !== entry.size || stat.mtimeMs !== entry.mtimeMs) return false;
    const output = readFileSync(join(outDir, entry.output));
    return createHash('sha256').update(output).digest('hex') === entry.outputSha256 && (entry.rowsRejected === 0 || existsSync(join(outDir, entry.rejects)));
  } catch {
    return false;
  }
}

/** Snapshots up to this size are read, scored and written by one worker, whole. */
const SMALL_SNAPSHOT_BYTES = 1 << 20;
/**
 * Small snapshots go to a worker a few at a time, up to this many bytes together: a day's replay (1,440 files
 * of 2,000 rows) spent a hand-over, a message each way and tinypool's per-task memory check on every file.
 */
const SMALL_BATCH_BYTES = 1 << 20;

interface SmallSnapshot {
  index: number;
  path: string;
  size: number;
  mtimeMs: number;
}

type SmallResult = Omit<SnapshotResult, 'finishedAtMs'> & { entry: JournalEntry | undefined };

async function scoreSmallSnapshots(pool: ScoringPool, options: ReplayOptions, batch: readonly SmallSnapshot[]): Promise<SmallResult[]> {
  const files = batch.map(({ path }) => {
    const names = outputNames(path, options.outputFormat);
    return { path, outputPath: join(options.outDir, names.output), rejectsPath: join(options.outDir, names.rejects), names };
  });
  const start = performance.now();
  let lastReason = '';
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    if (options.signal?.aborted) break;
    try {
      const results = await pool.scoreFiles(
        {
          files: files.map(({ path, outputPath, rejectsPath }) => ({ path, outputPath, rejectsPath })),
          inputFormat: options.inputFormat,
          outputFormat: options.outputFormat,
          parser: options.parser,
          batchRows: options.batchRows,
          maxRecordBytes: options.maxRecordBytes,
          manifest: options.manifest,
        },
        options.chunkTimeoutMs === undefined ? undefined : options.chunkTimeoutMs * files.length,
      );
      return results.map((result, i): SmallResult => {
        const { path, names } = files[i]!;
        if (result.kind === 'snapshot-refused') return { input: path, status: 'failed', rows: 0, rowsOut: 0, rowsRejected: 0, ms: 0, error: result.message, entry: undefined };
        const { size, mtimeMs } = batch[i]!;
        const entry: JournalEntry = {
          input: path,
          size,
          mtimeMs,
          rows: result.rows,
          rowsOut: result.rowsOut,
          rowsRejected: result.rowsRejected,
          output: names.output,
          outputSha256: result.outputSha256,
          rejects: names.rejects,
          ms: result.ms,
          completedAt: new Date().toISOString(),
        };
        return { input: path, status: 'done', rows: result.rows, rowsOut: result.rowsOut, rowsRejected: result.rowsRejected, ms: result.ms, entry };
      });
    } catch (error) {
      if (!(error instanceof ChunkFailure)) throw error;
      lastReason = error.message;
    }
  }
  const error = options.signal?.aborted ? 'interrupted' : `worker failed on ${options.retries + 1} tries: ${lastReason}`;
  const ms = performance.now() - start;
  return files.map(({ path }) => ({ input: path, status: 'failed', rows: 0, rowsOut: 0, rowsRejected: 0, ms, error, entry: undefined }));
}

export async function runReplay(options: ReplayOptions, hooks: ReplayHooks = {}): Promise<ReplaySummary> {
  mkdirSync(options.outDir, { recursive: true });
  const names = new Map<string, string>();
  for (const { path } of options.inputs) {
    const { output } = outputNames(path, options.outputFormat);
    const other = names.get(output);
    if (other !== undefined) throw new BatchInferError('USAGE', `${path} and ${other} would both write ${output} in --out-dir; replay them separately`);
    names.set(output, path);
  }
  const journal = options.isResume ? readJournal(options.outDir) : new Map<string, JournalEntry>();
  const handle = await startPool(options.manifest, options.workers, options.isolation);
  // Kept open for the whole replay: one write per completed snapshot.
  const journalFd = openSync(join(options.outDir, JOURNAL_FILE), 'a');
  const replayStart = performance.now();
  const results: SnapshotResult[] = [];
  let isFirst = true;
  try {
    const active = new Set<Promise<void>>();
    // Enough snapshots at once to keep every worker busy while the next one is read and cut.
    const maxActive = options.workers + 1;
    let batch: SmallSnapshot[] = [];
    let batchBytes = 0;
    const sendBatch = async (): Promise<void> => {
      if (batch.length === 0) return;
      const sent = batch;
      batch = [];
      batchBytes = 0;
      while (active.size >= options.workers * 2) await Promise.race(active);
      for (const { index, path } of sent) hooks.onSnapshotStart?.(index, path);
      const job = scoreSmallSnapshots(handle.pool, options, sent)
        .then((scored) => {
          for (const [i, result] of scored.entries()) {
            if (result.status === 'done') writeSync(journalFd, `${JSON.stringify(result.entry)}\n`);
            const { entry: _entry, ...snapshot } = result;
            const done = { ...snapshot, finishedAtMs: performance.now() - replayStart };
            results.push(done);
            hooks.onSnapshotDone?.(done, sent[i]!.index);
          }
        })
        .finally(() => active.delete(job));
      active.add(job);
    };
    for (const [index, { path }] of options.inputs.entries()) {
      if (options.signal?.aborted) break;
      if (options.isResume && isComplete(journal.get(path), path, options.outDir)) {
        const entry = journal.get(path)!;
        const result: SnapshotResult = { input: path, status: 'skipped', rows: entry.rows, rowsOut: entry.rowsOut, rowsRejected: entry.rowsRejected, ms: 0, finishedAtMs: performance.now() - replayStart };
        results.push(result);
        hooks.onSnapshotDone?.(result, index);
        continue;
      }
      const stat = statSync(path, { throwIfNoEntry: false });
      if (stat !== undefined && stat.size <= SMALL_SNAPSHOT_BYTES) {
        // A small snapshot goes to a worker whole: read, scored and written there (see snapshot-file.ts).
        if (batchBytes + stat.size > SMALL_BATCH_BYTES) await sendBatch();
        batch.push({ index, path, size: stat.size, mtimeMs: stat.mtimeMs });
        batchBytes += stat.size;
        continue;
      }
      await sendBatch();
      while (active.size >= maxActive) await Promise.race(active);
      let markRead: () => void = () => undefined;
      const inputRead = new Promise<void>((resolve) => (markRead = resolve));
      const names = outputNames(path, options.outputFormat);
      const start = performance.now();
      const output = hashing(openFileSink(join(options.outDir, names.output), '--out-dir'));
      const rejects = openLazyFileSink(join(options.outDir, names.rejects), '--out-dir');
      hooks.onSnapshotStart?.(index, path);
      const job = scoreSnapshot(
        handle,
        {
          input: { path, format: options.inputFormat },
          outputFormat: options.outputFormat,
          parser: options.parser,
          batchRows: options.batchRows,
          output,
          rejects,
          chunkSize: options.chunkSize,
          balanceFor: options.balanceFor,
          maxInFlight: options.maxInFlight,
          maxRecordBytes: options.maxRecordBytes,
          retries: options.retries,
          chunkTimeoutMs: options.chunkTimeoutMs,
          compare: false,
          warmUp: options.warmUp && isFirst,
          deadline: undefined,
          signal: options.signal,
        },
        { onInputRead: markRead, onProgress: hooks.onProgress },
      )
        .then((timing) => {
          const ms = performance.now() - start;
          const entry: JournalEntry = {
            input: path,
            size: stat?.size ?? 0,
            mtimeMs: stat?.mtimeMs ?? 0,
            rows: timing.rows,
            rowsOut: timing.rowsOut,
            rowsRejected: timing.rowsRejected,
            output: names.output,
            outputSha256: output.digest(),
            rejects: names.rejects,
            ms,
            completedAt: new Date().toISOString(),
          };
          writeSync(journalFd, `${JSON.stringify(entry)}\n`);
          const result: SnapshotResult = { input: path, status: 'done', rows: timing.rows, rowsOut: timing.rowsOut, rowsRejected: timing.rowsRejected, ms, finishedAtMs: performance.now() - replayStart };
          results.push(result);
          hooks.onSnapshotDone?.(result, index);
        })
        .catch((error: unknown) => {
          output.abort();
          rejects.abort();
          // An interrupted replay, or a pool that can no longer score, stops everything; a bad snapshot does not.
          if (!(error instanceof BatchInferError) || error.code === 'INTERRUPTED' || error.code === 'MODEL_LOAD') throw error;
          const result: SnapshotResult = { input: path, status: 'failed', rows: 0, rowsOut: 0, rowsRejected: 0, ms: performance.now() - start, finishedAtMs: performance.now() - replayStart, error: describeError(error) };
          results.push(result);
          hooks.onSnapshotDone?.(result, index);
        })
        .finally(() => {
          markRead();
          active.delete(job);
        });
      active.add(job);
      isFirst = false;
      await inputRead;
    }
    if (!options.signal?.aborted) await sendBatch();
    const settled = await Promise.allSettled(active);
    const fatal = settled.find((s) => s.status === 'rejected');
    if (fatal !== undefined) throw (fatal as PromiseRejectedResult).reason;
    if (options.signal?.aborted) throw new BatchInferError('INTERRUPTED', `stopped by ${String(options.signal.reason)}; completed snapshots are kept (use --resume)`, { exitCode: options.signal.reason === 'SIGTERM' ? 143 : 130 });
  } finally {
    closeSync(journalFd);
    await handle.pool.destroy();
    // A worker that died while writing a small snapshot's file leaves its temporary file: ours carry our pid.
    for (const name of readdirSync(options.outDir)) if (isOwnTemporaryName(name)) rmSync(join(options.outDir, name), { force: true });
  }
  const wallMs = performance.now() - replayStart;
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
    startupMs: handle.started.startupMs,
    wallMs,
    rowsPerSec: wallMs > 0 ? (scoredRows / wallMs) * 1000 : 0,
    slowest: slowest === undefined ? undefined : { input: slowest.input, ms: slowest.ms },
    results: results.sort((a, b) => (order.get(a.input) ?? 0) - (order.get(b.input) ?? 0)),
  };
}
