/**
 * The worker pool: a Tinypool of threads that each load the run's models once, at start, and then score
 * chunks. Results come back as plain objects; failures are turned into BatchInferErrors here.
 */

import Tinypool from 'tinypool';
import { BatchInferError } from './errors.js';
import type { ChunkScored, ChunkTask, ModelSignature, ReadyResult, ScoringPlan, WorkerResult, WorkerSetup } from './plan.js';

export interface PoolOptions {
  workers: number;
  setup: WorkerSetup;
}

export interface PoolStarted {
  signatures: ModelSignature[];
  /** From creating the pool until every worker had loaded its models. */
  startupMs: number;
  /** Each worker's own model-load time. */
  loadMs: number[];
}

const WORKER_FILE = new URL('./worker.js', import.meta.url).href;

export class ScoringPool {
  readonly workers: number;
  readonly #pool: Tinypool;
  readonly #createdAt = performance.now();

  constructor(options: PoolOptions) {
    this.workers = options.workers;
    this.#pool = new Tinypool({
      filename: WORKER_FILE,
      minThreads: options.workers,
      maxThreads: options.workers,
      // Workers live for the whole run: an idle timeout would unload models between chunks.
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData: options.setup,
    });
  }

  /** Waits until every worker has loaded its models, and returns what they loaded. */
  async start(): Promise<PoolStarted> {
    // With one task per worker in flight at once, each worker takes one ready task.
    const results = await Promise.all(Array.from({ length: this.workers }, () => this.#pool.run({ kind: 'ready' }) as Promise<WorkerResult>));
    const ready: ReadyResult[] = [];
    for (const result of results) {
      if (!result.ok) throw new BatchInferError('MODEL_LOAD', result.message);
      if (result.kind === 'ready') ready.push(result);
    }
    return {
      signatures: ready[0]?.signatures ?? [],
      startupMs: performance.now() - this.#createdAt,
      loadMs: ready.map((r) => r.loadMs),
    };
  }

  /** Scores one chunk on some worker. The chunk's bytes are moved to the worker, not copied. */
  async score(index: number, firstLine: number, bytes: Uint8Array, plan: ScoringPlan): Promise<ChunkScored> {
    const task: ChunkTask = { kind: 'chunk', index, firstLine, bytes, plan };
    const result = (await this.#pool.run(task, { transferList: [bytes.buffer as ArrayBuffer] })) as WorkerResult;
    if (!result.ok) throw new BatchInferError(result.code, `chunk ${index} (from line ${firstLine}): ${result.message}`);
    if (result.kind !== 'chunk') throw new BatchInferError('WORKER_FAILED', `chunk ${index}: unexpected worker reply '${result.kind}'`);
    return result;
  }

  /** Hands every worker a sample of the run's rows to score and throw away; resolves when all are done. */
  async warmUp(bytes: Uint8Array, plan: ScoringPlan): Promise<number> {
    const start = performance.now();
    // One task per worker in flight at once: each idle worker takes one.
    await Promise.all(Array.from({ length: this.workers }, () => this.#pool.run({ kind: 'warm-up', bytes, plan })));
    return performance.now() - start;
  }

  async destroy(): Promise<void> {
    await this.#pool.destroy();
  }
}
