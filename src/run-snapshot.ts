/**
 * The main job, start to end: open the snapshot, start the pool (workers load their models while the header
 * is read), bind the manifest, cut the input into chunks and fan them out, write results in input order,
 * and measure it all. With `compare`, the same chunks are then scored one after another in this thread.
 */

import { resolve } from 'node:path';
import { bindPlan } from './bind-plan.js';
import { BatchInferError } from './errors.js';
import { openInput, type OpenedInput } from './input/read-input.js';
import { RecordSplitter, type RawChunk } from './input/split-records.js';
import type { Manifest } from './manifest.js';
import { loadModels, releaseModels } from './model-session.js';
import { formatOutputHeader, REJECTS_HEADER } from './output/format-rows.js';
import { openFileSink, openStdoutSink, type OutputSink } from './output/write-output.js';
import type { ChunkScored, CsvParser, InputFormat, OutputFormat, ScoringPlan } from './plan.js';
import { ScoringPool } from './pool.js';
import { scoreChunk } from './score-chunk.js';
import type { RunTiming } from './timing.js';
import { takeWarmUpSample } from './warm-up.js';

export interface RunOptions {
  input: string | undefined;
  inputFormat: InputFormat | undefined;
  outputFormat: OutputFormat;
  parser: CsvParser;
  output: string | undefined;
  rejects: string | undefined;
  manifest: Manifest;
  workers: number;
  chunkSize: number;
  /** Chunks handed out but not yet written: bounds memory on inputs of any size. */
  maxInFlight: number;
  compare: boolean;
  /** Warm the hot path up in every worker at start (and the baseline before it is timed). */
  warmUp: boolean;
}

export interface RunProgress {
  rows: number;
  chunks: number;
  bytesRead: number;
  sizeBytes: number | undefined;
}

export interface RunHooks {
  onProgress?: (progress: RunProgress) => void;
}

function decodeHeader(bytes: Uint8Array | undefined, input: OpenedInput): string[] {
  if (bytes === undefined || bytes.length === 0) {
    throw new BatchInferError('INPUT_HEADER', `${input.name}: empty input, no header line`);
  }
  const text = Buffer.from(bytes).toString('utf8');
  const names: string[] = [];
  // The header is one CSV record: split it with the same quoting rules as the data.
  let field = '';
  let isQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (isQuoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        isQuoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      isQuoted = true;
    } else if (char === ',') {
      names.push(field);
      field = '';
    } else {
      field += char;
    }
  }
  names.push(field);
  for (const [i, name] of names.entries()) {
    if (name.trim() === '') throw new BatchInferError('INPUT_HEADER', `${input.name}: line 1: column ${i + 1} of the header has no name`);
  }
  return names;
}

/** Writes results in input order as they arrive out of order. */
class OrderedWriter {
  readonly #pending = new Map<number, ChunkScored>();
  #next = 0;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly output: OutputSink,
    readonly rejects: OutputSink | undefined,
    readonly onWritten: (result: ChunkScored) => void,
    /** With --compare: every chunk's predictions, kept to check against the sequential baseline. */
    readonly kept: Uint8Array[] | undefined,
  ) {}

  add(result: ChunkScored): Promise<void> {
    this.#pending.set(result.index, result);
    this.#queue = this.#queue.then(() => this.#flush());
    return this.#queue;
  }

  async #flush(): Promise<void> {
    for (let result = this.#pending.get(this.#next); result !== undefined; result = this.#pending.get(this.#next)) {
      this.#pending.delete(this.#next);
      this.#next++;
      this.kept?.push(result.output);
      if (result.output.length > 0) await this.output.write(result.output);
      if (result.rejects.length > 0 && this.rejects !== undefined) await this.rejects.write(result.rejects);
      this.onWritten(result);
    }
  }

  get written(): number {
    return this.#next;
  }
}

export async function runSnapshot(options: RunOptions, hooks: RunHooks = {}): Promise<RunTiming> {
  const manifest = options.manifest;
  const input = await openInput({ path: options.input, format: options.inputFormat });
  if (input.name !== 'stdin') {
    for (const [flag, path] of [['--output', options.output], ['--rejects', options.rejects]] as const) {
      if (path !== undefined && resolve(path) === resolve(input.name)) {
        throw new BatchInferError('USAGE', `${flag} ${path}: is the input; refusing to overwrite it`);
      }
    }
  }

  const pool = new ScoringPool({
    workers: options.workers,
    setup: { models: manifest.models.map((m) => ({ name: m.name, path: m.path })) },
  });
  let output: OutputSink | undefined;
  let rejects: OutputSink | undefined;
  try {
    const starting = pool.start();
    // A failed start is reported by the await below; never as an unhandled rejection meanwhile.
    starting.catch(() => undefined);
    const splitter = new RecordSplitter({ format: input.format, chunkRows: options.chunkSize, hasHeader: input.format === 'csv' });
    const source = input.bytes[Symbol.asyncIterator]();
    const early: RawChunk[] = [];
    let isInputDone = false;
    // Read until the header is complete (CSV) while the workers load their models.
    while (input.format === 'csv' && splitter.header === undefined) {
      const next = await source.next();
      if (next.done) {
        early.push(...splitter.end());
        isInputDone = true;
        break;
      }
      early.push(...splitter.push(next.value));
    }
    const header = input.format === 'csv' ? decodeHeader(splitter.header, input) : undefined;
    const started = await starting;
    const plan: ScoringPlan = bindPlan(manifest, started.signatures, {
      inputFormat: input.format,
      outputFormat: options.outputFormat,
      parser: options.parser,
      header,
      inputName: input.name,
    });

    output = options.output === undefined ? openStdoutSink() : openFileSink(options.output, '--output');
    rejects = options.rejects === undefined ? undefined : openFileSink(options.rejects, '--rejects');
    await output.write(formatOutputHeader(plan.outputColumns, plan.outputFormat));
    if (rejects !== undefined) await rejects.write(REJECTS_HEADER);

    const totals = { rows: 0, rowsOut: 0, rowsRejected: 0, busyMs: 0, parseMs: 0, inferMs: 0, chunks: 0 };
    const kept: RawChunk[] = [];
    const writer = new OrderedWriter(output, rejects, (result) => {
      totals.rows += result.rowsIn;
      totals.rowsOut += result.rowsOut;
      totals.rowsRejected += result.rowsRejected;
      totals.busyMs += result.busyMs;
      totals.parseMs += result.parseMs;
      totals.inferMs += result.inferMs;
      hooks.onProgress?.({ rows: totals.rows, chunks: writer.written, bytesRead: input.bytesRead(), sizeBytes: input.sizeBytes });
    }, options.compare ? [] : undefined);

    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    let firstChunkAt: number | undefined;
    let parallelStart = performance.now();
    let mainLoop = performance.eventLoopUtilization();
    let warmUpSample: Uint8Array | undefined;
    let warmUpMs = 0;
    const submit = async (chunk: RawChunk): Promise<void> => {
      if (options.warmUp && warmUpSample === undefined) {
        warmUpSample = takeWarmUpSample(chunk.bytes, input.format);
        warmUpMs = await pool.warmUp(warmUpSample, plan);
        parallelStart = performance.now();
        mainLoop = performance.eventLoopUtilization();
      }
      if (options.compare) kept.push({ ...chunk, bytes: chunk.bytes.slice() });
      firstChunkAt ??= performance.now();
      totals.chunks++;
      const task = pool
        .score(chunk.index, chunk.firstLine, chunk.bytes, plan)
        .then((result) => writer.add(result))
        .catch((error: unknown) => {
          failure ??= error;
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      while (inFlight.size >= options.maxInFlight) await Promise.race(inFlight);
      if (failure !== undefined) throw failure;
    };

    for (const chunk of early) await submit(chunk);
    while (!isInputDone) {
      const next = await source.next();
      if (next.done) break;
      for (const chunk of splitter.push(next.value)) await submit(chunk);
    }
    if (!isInputDone) for (const chunk of splitter.end()) await submit(chunk);
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    const parallelMs = performance.now() - parallelStart;
    // How busy this thread was while the workers scored: reading, cutting, handing out, writing.
    const mainBusyMs = performance.eventLoopUtilization(mainLoop).active;

    let comparison: Pick<RunTiming, 'sequentialMs' | 'speedup' | 'efficiency' | 'identical'> = {};
    if (options.compare) {
      const sequential = await scoreSequentially(kept, plan, manifest, warmUpSample);
      const speedup = sequential.ms / parallelMs;
      comparison = {
        sequentialMs: sequential.ms,
        speedup,
        efficiency: speedup / options.workers,
        identical: sequential.outputs.length === writer.kept?.length && sequential.outputs.every((o, i) => Buffer.from(o).equals(writer.kept![i]!)),
      };
    }
    await output.commit();
    await rejects?.commit();

    const end = performance.now();
    return {
      input: input.name,
      rows: totals.rows,
      rowsOut: totals.rowsOut,
      rowsRejected: totals.rowsRejected,
      workers: options.workers,
      chunkSize: options.chunkSize,
      chunks: totals.chunks,
      wallMs: end,
      firstChunkMs: firstChunkAt ?? end,
      startupMs: started.startupMs,
      warmUpMs,
      parallelMs,
      busyMs: totals.busyMs,
      mainBusyMs,
      parseMs: totals.parseMs,
      inferMs: totals.inferMs,
      rowsPerSec: parallelMs > 0 ? (totals.rows / parallelMs) * 1000 : 0,
      parallelism: parallelMs > 0 ? totals.busyMs / parallelMs : 0,
      ...comparison,
    };
  } catch (error) {
    output?.abort();
    rejects?.abort();
    throw error;
  } finally {
    await pool.destroy();
  }
}

/**
 * The single-process baseline: the same chunks, one set of sessions in this thread, one chunk after another,
 * doing the same parse, tensor and inference work, after the same warm-up as the workers. Returns its time (model
 * load and warm-up excluded) and its predictions.
 */
async function scoreSequentially(
  chunks: RawChunk[],
  plan: ScoringPlan,
  manifest: Manifest,
  warmUpSample: Uint8Array | undefined,
): Promise<{ ms: number; outputs: Uint8Array[] }> {
  const models = await loadModels(manifest.models.map((m) => ({ name: m.name, path: m.path })));
  try {
    if (warmUpSample !== undefined) await scoreChunk(warmUpSample, 1, plan, models);
    const outputs: Uint8Array[] = [];
    const start = performance.now();
    for (const chunk of chunks) outputs.push((await scoreChunk(chunk.bytes, chunk.firstLine, plan, models)).output);
    return { ms: performance.now() - start, outputs };
  } finally {
    await releaseModels(models);
  }
}
