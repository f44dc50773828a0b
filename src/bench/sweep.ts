/**
 * The chunk-size and worker-count sweep. Every configuration scores the same rows, cut into the same chunks;
 * each worker count gets one pool (models loaded once) for all its chunk sizes; warm-up runs are not counted;
 * counted runs repeat until the last ones agree within the stability threshold (or a cap). The sequential
 * baseline (one set of sessions in this thread, chunk after chunk, as `run --compare`) is measured on the same
 * chunks in the same process, so every configuration has a speedup next to its absolute figures.
 *
 * A timed run covers what `run` does per chunk: parsing, tensors, inference, formatting, and gathering the
 * results in order. Reading and cutting the input happen once, before any timing.
 */

import { cpus } from 'node:os';
import { scoreInParallel, scorePass, type ParallelPass } from '../snapshot/sequential-baseline.js';
import { bindPlan } from '../model/bind-plan.js';
import { BatchInferError } from '../errors.js';
import type { RawChunk } from '../input/raw-chunk.js';
import { RecordSplitter } from '../input/split-records.js';
import type { Manifest } from '../model/manifest.js';
import { loadModels, releaseModels } from '../model/model-session.js';
import { modelSetup } from '../model/signature.js';
import { DEFAULT_BATCH_ROWS } from '../config/option-table.js';
import type { CsvParser, InputFormat } from '../model/scoring-plan.js';
import { ScoringPool, type Isolation } from '../pool/scoring-pool.js';
import { scoreChunk } from '../scoring/score-chunk.js';
import { takeWarmUpSample } from '../scoring/warm-up.js';
import { isDoneMeasuring, median, percentile, spreadPercent, type StabilityRule } from './stats.js';

export interface SweepOptions {
  manifest: Manifest;
  input: Buffer;
  inputName: string;
  inputFormat: InputFormat;
  parser: CsvParser;
  chunkSizes: number[];
  workers: number[];
  warmup: number;
  rule: StabilityRule;
  isolation: Isolation;
}

export interface Measured {
  runs: number[];
  minMs: number;
  medianMs: number;
  maxMs: number;
  rowsPerSec: number;
  isStable: boolean;
  spreadPercent: number;
}

export interface SequentialResult extends Measured {
  chunkSize: number;
  chunks: number;
}

export interface ConfigResult extends Measured {
  workers: number;
  chunkSize: number;
  chunks: number;
  /** Sequential median at this chunk size / this configuration's median. */
  speedup: number;
  /** speedup / workers. */
  efficiency: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyP99Ms: number;
  /** Median time a chunk waited for a free worker. */
  queueWaitMs: number;
  /** Worker busy time / (wall time x workers), median over runs. */
  busyShare: number;
  peakRssMb: number;
}

export interface BenchResult {
  version: 1;
  createdAt: string;
  machine: { cpus: number; model: string; node: string; platform: string };
  input: string;
  rows: number;
  manifest: string;
  warmup: number;
  rule: StabilityRule;
  sequential: SequentialResult[];
  configs: ConfigResult[];
  best: { workers: number; chunkSize: number; rowsPerSec: number; speedup: number; efficiency: number };
}

export interface SweepHooks {
  onStep?: (done: number, total: number, label: string) => void;
}

function cut(input: Buffer, format: InputFormat, chunkSize: number): { header: Uint8Array | undefined; chunks: RawChunk[] } {
  const splitter = new RecordSplitter({ format, chunkRows: chunkSize, hasHeader: format === 'csv' });
  const chunks = [...splitter.push(input), ...splitter.end()];
  return { header: splitter.header, chunks };
}

function summarize(runs: number[], rows: number, rule: StabilityRule): Measured {
  const med = median(runs);
  const spread = spreadPercent(runs, rule.repeats);
  return {
    runs,
    minMs: Math.min(...runs),
    medianMs: med,
    maxMs: Math.max(...runs),
    rowsPerSec: (rows / med) * 1000,
    isStable: spread <= rule.stabilityPercent,
    spreadPercent: spread,
  };
}

async function repeat(options: SweepOptions, once: () => Promise<number>): Promise<number[]> {
  for (let i = 0; i < options.warmup; i++) await once();
  const runs: number[] = [];
  do runs.push(await once());
  while (!isDoneMeasuring(runs, options.rule));
  return runs;
}

export async function runSweep(options: SweepOptions, hooks: SweepHooks = {}): Promise<BenchResult> {
  const models = await loadModels(options.manifest.models.map(modelSetup));
  const byChunkSize = new Map(options.chunkSizes.map((size) => [size, cut(options.input, options.inputFormat, size)]));
  const first = byChunkSize.get(options.chunkSizes[0]!)!;
  const header = options.inputFormat === 'csv' ? Buffer.from(first.header ?? []).toString('utf8').split(',') : undefined;
  if (header !== undefined && header.length <= 1 && first.chunks.length === 0) throw new BatchInferError('INPUT_HEADER', `${options.inputName}: no rows to benchmark`);
  const plan = bindPlan(options.manifest, models.map((m) => m.signature), {
    inputFormat: options.inputFormat,
    outputFormat: 'csv',
    parser: options.parser,
    batchRows: DEFAULT_BATCH_ROWS,
    header,
    inputName: options.inputName,
  });
  const rows = first.chunks.reduce((n, c) => n + c.records, 0);
  const total = options.chunkSizes.length * (options.workers.length + 1);
  let done = 0;
  const step = (label: string): void => hooks.onStep?.(++done, total, label);

  const sequential: SequentialResult[] = [];
  try {
    // The same warm-up the workers get, so that both sides are measured warm.
    await scoreChunk(takeWarmUpSample(first.chunks[0]?.bytes ?? new Uint8Array(0), options.inputFormat), 1, plan, models);
    for (const chunkSize of options.chunkSizes) {
      const { chunks } = byChunkSize.get(chunkSize)!;
      const runs = await repeat(options, async () => (await scorePass(chunks, plan, models)).ms);
      sequential.push({ chunkSize, chunks: chunks.length, ...summarize(runs, rows, options.rule) });
      step(`sequential, chunk ${chunkSize}`);
    }
  } finally {
    await releaseModels(models);
  }

  const configs: ConfigResult[] = [];
  for (const workers of options.workers) {
    const pool = new ScoringPool({ workers, isolation: options.isolation, models: options.manifest.models.map(modelSetup) });
    try {
      await pool.start();
      const firstChunk = first.chunks[0]?.bytes ?? new Uint8Array(0);
      await pool.warmUp(takeWarmUpSample(firstChunk, options.inputFormat), plan, firstChunk.length);
      for (const chunkSize of options.chunkSizes) {
        const { chunks } = byChunkSize.get(chunkSize)!;
        const details: ParallelPass[] = [];
        const runs = await repeat(options, async () => {
          const run = await scoreInParallel(pool, chunks, plan);
          details.push(run);
          return run.ms;
        });
        const counted = details.slice(-runs.length);
        const measured = summarize(runs, rows, options.rule);
        const seq = sequential.find((s) => s.chunkSize === chunkSize)!;
        const speedup = seq.medianMs / measured.medianMs;
        configs.push({
          workers,
          chunkSize,
          chunks: chunks.length,
          ...measured,
          speedup,
          efficiency: speedup / workers,
          latencyP50Ms: percentile(counted.flatMap((d) => d.latencies), 50),
          latencyP95Ms: percentile(counted.flatMap((d) => d.latencies), 95),
          latencyP99Ms: percentile(counted.flatMap((d) => d.latencies), 99),
          queueWaitMs: median(counted.flatMap((d) => d.waits)),
          busyShare: median(counted.map((d) => d.busyMs / (d.ms * workers))),
          peakRssMb: process.resourceUsage().maxRSS / 1024,
        });
        step(`${workers} workers, chunk ${chunkSize}`);
      }
    } finally {
      await pool.destroy();
    }
  }
  const best = configs.reduce((a, b) => (b.rowsPerSec > a.rowsPerSec ? b : a));
  return {
    version: 1,
    createdAt: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` },
    input: options.inputName,
    rows,
    manifest: options.manifest.source,
    warmup: options.warmup,
    rule: options.rule,
    sequential,
    configs,
    best: { workers: best.workers, chunkSize: best.chunkSize, rowsPerSec: best.rowsPerSec, speedup: best.speedup, efficiency: best.efficiency },
  };
}
