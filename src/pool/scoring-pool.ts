/**
 * The worker pool: a Tinypool of threads (or child processes, with --isolation process) that each load the
 * run's models once, at start, and then score chunks. This module also holds the pool's guarantees: a chunk
 * whose worker throws, exits, is killed or hangs past the timeout fails here with a reason, and its worker is
 * replaced; the caller decides whether to retry. Results come back as plain objects.
 */

import { BroadcastChannel } from 'node:worker_threads';
import Tinypool from 'tinypool';
import { BatchInferError } from '../errors.js';
import { applyRuntimeDefaults } from '../model/runtime-environment.js';
import type { ScoringPlan } from '../model/scoring-plan.js';
import type { ModelSetup, ModelSignature } from '../model/signature.js';
import type { ChunkScored } from '../scoring/score-chunk.js';
import type { ChunkTask, InferTask, Inferred, ReadyResult, TaskStarted, WorkerResult, WorkerSetup, WorkerTask } from './messages.js';

export type Isolation = 'thread' | 'process';

export interface PoolOptions {
  workers: number;
  models: ModelSetup[];
  isolation: Isolation;
}

export interface PoolStarted {
  signatures: ModelSignature[];
  /** From creating the pool until every worker had loaded its models. */
  startupMs: number;
  /** Each worker's own model-load time. */
  loadMs: number[];
  /** The workers that loaded the models: thread ids, or process ids with --isolation process. */
  workerIds: number[];
}

/** A chunk that did not come back scored; worth another try on a fresh worker. */
export class ChunkFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChunkFailure';
  }
}

/** A task whose worker died, hung past its timeout or was stopped (not one that failed on a live worker). */
export class WorkerLost extends ChunkFailure {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerLost';
  }
}

const WORKER_FILE = new URL('./worker.js', import.meta.url).href;
/** How long destroy() waits for running tasks: longer than any chunk here, short enough for a signal's exit. */
const DESTROY_GRACE_MS = 5_000;
/** Thread ids grow by one per thread in a process: this many slots never collide among a pool's live threads. */
const NATIVE_FLAG_SLOTS = 4096;
let nextPoolId = 0;
let nextKey = 0;

interface Submission {
  controller: AbortController;
  /** Why we aborted it, when we did. */
  reason: string | undefined;
  workerId: number | undefined;
}

export class ScoringPool {
  readonly workers: number;
  readonly isolation: Isolation;
  readonly #pool: Tinypool;
  readonly #createdAt = performance.now();
  readonly #announcements: BroadcastChannel | undefined;
  readonly #submissions = new Map<number, Submission>();
  readonly #watched = new WeakSet<object>();
  /** Threads seen exiting, by thread id: an announcement that arrives after its thread's exit fails at once. */
  readonly #exited = new Set<number>();
  #free: number;
  /** Tasks waiting for a slot; `givenUp` set by abandonRunning, to fail instead of starting. */
  readonly #waiting: { resume: () => void; givenUp: string | undefined }[] = [];
  #isDestroyed = false;
  /** See WorkerSetup.nativeFlags. */
  readonly #nativeFlags = new Int32Array(new SharedArrayBuffer(4 * 2 * NATIVE_FLAG_SLOTS)).fill(-1, NATIVE_FLAG_SLOTS);
  readonly #running = new Set<Promise<WorkerResult>>();

  constructor(options: PoolOptions) {
    // Before any worker exists: its sessions read the process environment, which a worker cannot change.
    applyRuntimeDefaults();
    this.workers = options.workers;
    this.isolation = options.isolation;
    const setup: WorkerSetup = { models: options.models, channel: `batch-infer-${process.pid}-${nextPoolId++}`, nativeFlags: this.#nativeFlags.buffer as SharedArrayBuffer };
    const isProcess = options.isolation === 'process';
    this.#pool = new Tinypool({
      filename: WORKER_FILE,
      runtime: isProcess ? 'child_process' : 'worker_threads',
      minThreads: options.workers,
      maxThreads: options.workers,
      // One task per worker: tinypool 2.2 never gives a busy worker a task that carries an abort signal (every task
      // here does), so more would not run anyway; --endpoint gets its requests in flight inside a task instead.
      concurrentTasksPerWorker: 1,
      // Workers live for the whole run: an idle timeout would unload models between chunks.
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData: setup,
      ...(isProcess ? { serialization: 'advanced' as const, env: { ...process.env, BATCH_INFER_WORKER_SETUP: JSON.stringify(setup) } as Record<string, string> } : {}),
    });
    this.#free = options.workers;
    if (!isProcess) {
      // Each worker thread's stdout and stderr are piped into this process's, one 'error' listener each: with ten
      // or more workers Node would warn of a leak on stderr (tinypool raises the limit itself for processes).
      adjustStdioListeners(options.workers);
      this.#announcements = new BroadcastChannel(setup.channel);
      this.#announcements.unref();
      this.#announcements.onmessage = (event) => this.#onStarted((event as { data: TaskStarted }).data);
    }
  }

  /** Waits until every worker has loaded its models, and returns what they loaded. */
  async start(): Promise<PoolStarted> {
    // With one task per worker in flight at once, each worker takes one ready task.
    let results: WorkerResult[];
    try {
      results = await Promise.all(Array.from({ length: this.workers }, () => this.#dispatch({ kind: 'ready' })));
    } catch (error) {
      throw new BatchInferError('MODEL_LOAD', `a worker failed to start: ${(error as Error).message}`);
    }
    const ready: ReadyResult[] = [];
    for (const result of results) {
      if (!result.ok) throw new BatchInferError('MODEL_LOAD', result.message);
      if (result.kind === 'ready') ready.push(result);
    }
    return { signatures: ready[0]?.signatures ?? [], startupMs: performance.now() - this.#createdAt, loadMs: ready.map((r) => r.loadMs), workerIds: ready.map((r) => r.workerId) };
  }

  /** Hands every worker a sample of the run's rows to score and throw away; resolves when all are done. */
  async warmUp(bytes: Uint8Array, plan: ScoringPlan, chunkBytes: number): Promise<number> {
    const start = performance.now();
    await Promise.all(Array.from({ length: this.workers }, () => this.#dispatch({ kind: 'warm-up', bytes: this.#handOver(bytes)[0], plan, chunkBytes })));
    return performance.now() - start;
  }

  /**
   * Scores one chunk on some worker, at most one chunk per worker at a time (so a timeout counts work, not
   * queueing). Throws ChunkFailure when the worker failed, died or passed `timeoutMs`.
   */
  async score(task: Omit<ChunkTask, 'kind' | 'key'>, timeoutMs: number | undefined, onDispatched?: () => void): Promise<ChunkScored> {
    const [bytes, transferList] = this.#handOver(task.bytes);
    const result = await this.#run((key) => ({ ...task, bytes, kind: 'chunk', key }), transferList, timeoutMs, onDispatched);
    if (result.kind !== 'chunk') throw new ChunkFailure(`unexpected worker reply '${result.kind}'`);
    return result;
  }

  /** Runs one model on given tensors on some worker (serve's V2 infer); the inputs' memory is moved there. */
  async infer(task: Omit<InferTask, 'kind' | 'key'>, timeoutMs: number | undefined): Promise<Inferred> {
    const transferList = this.isolation === 'thread' ? task.inputs.map((t) => t.data.buffer as ArrayBuffer) : [];
    const result = await this.#run((key) => ({ ...task, kind: 'infer', key }), transferList, timeoutMs);
    if (result.kind !== 'infer') throw new ChunkFailure(`unexpected worker reply '${result.kind}'`);
    return result;
  }

  /**
   * The caller keeps its bytes (for a retry or a reject). A thread reads shared memory in place; other bytes
   * travel as a copy, moved to a thread rather than copied twice. A child process cannot share memory.
   */
  #handOver(bytes: Uint8Array): [Uint8Array, ArrayBuffer[]] {
    const isShared = bytes.buffer instanceof SharedArrayBuffer;
    if (this.isolation === 'thread' && isShared) return [bytes, []];
    const copy = bytes.slice();
    return [copy, this.isolation === 'thread' ? [copy.buffer] : []];
  }

  /** One task on some worker, at most one per worker slot; failures become ChunkFailure or fatal errors. */
  async #run(message: (key: number) => WorkerTask, transferList: ArrayBuffer[], timeoutMs: number | undefined, onDispatched?: () => void): Promise<WorkerResult & { ok: true }> {
    const givenUp = await this.#acquire();
    if (this.#isDestroyed || givenUp !== undefined) {
      // Queued before destroy() or abandonRunning(): it must not start (a thread about to be stopped, a deadline).
      this.#release();
      throw new ChunkFailure(givenUp ?? 'the pool was stopped');
    }
    onDispatched?.();
    if (this.isolation === 'thread') this.#watchThreads();
    const key = nextKey++;
    const submission: Submission = { controller: new AbortController(), reason: undefined, workerId: undefined };
    this.#submissions.set(key, submission);
    const timer =
      timeoutMs === undefined ? undefined : setTimeout(() => this.#abort(key, `no result within the chunk timeout (${timeoutMs} ms)`), timeoutMs);
    try {
      const result = await this.#dispatch(message(key), { transferList, signal: submission.controller.signal });
      if (!result.ok) {
        if (result.code === 'MODEL_LOAD') throw new BatchInferError('MODEL_LOAD', result.message);
        if (result.code === 'REMOTE_UNAVAILABLE') throw new BatchInferError('REMOTE_UNAVAILABLE', result.message);
        throw new ChunkFailure(result.message);
      }
      return result;
    } catch (error) {
      if (error instanceof BatchInferError || error instanceof ChunkFailure) throw error;
      throw new WorkerLost(submission.reason ?? `worker failed: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
      this.#submissions.delete(key);
      this.#release();
    }
  }


  /**
   * Stops the workers, once the tasks they are running have settled (for at most `graceMs`). A thread stopped
   * inside session.run() takes the whole process down natively ("terminate called after throwing an instance of
   * 'Napi::Error'"), whichever caller gave up waiting for its task: so every shutdown path comes through here.
   */
  async destroy(graceMs = DESTROY_GRACE_MS): Promise<void> {
    if (this.#isDestroyed) return;
    this.#isDestroyed = true;
    if (this.#running.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([Promise.allSettled(this.#running), grace]);
      clearTimeout(timer);
    }
    this.#announcements?.close();
    await this.#pool.destroy();
    if (this.isolation === 'thread') adjustStdioListeners(-this.workers);
  }

  /**
   * Gives up on every chunk a worker is stuck on (a deadline in 'abort' mode that must end now): each fails with
   * `reason`, and tinypool stops its thread. A thread inside onnxruntime is left to finish its call: stopping it
   * there takes the whole process down ('terminate called after throwing an instance of Napi::Error'): it fails
   * the chunk at its next call instead. Chunks waiting for a slot fail without starting. Child processes
   * (--isolation process) are always stopped: killing one is safe.
   */
  abandonRunning(reason: string): void {
    for (const waiter of this.#waiting) waiter.givenUp = reason;
    for (const [key, submission] of this.#submissions) {
      if (this.isolation === 'process') {
        this.#abort(key, reason);
        continue;
      }
      // Not announced yet: the thread has not started the chunk's work.
      if (submission.workerId === undefined) continue;
      const slot = submission.workerId % NATIVE_FLAG_SLOTS;
      // Written before the thread's flag is read (see flagNativeCalls in worker.ts): a thread inside onnxruntime
      // fails the chunk at its next call instead, and its rows become rejects with the same reason.
      Atomics.store(this.#nativeFlags, NATIVE_FLAG_SLOTS + slot, key);
      if (Atomics.load(this.#nativeFlags, slot) === 0) this.#abort(key, reason);
    }
  }

  /** Every task goes to tinypool through here, so that destroy() knows what is still running. */
  #dispatch(task: WorkerTask, options: { transferList?: ArrayBuffer[]; signal?: AbortSignal } = {}): Promise<WorkerResult> {
    const running = this.#pool.run(task, options) as Promise<WorkerResult>;
    this.#running.add(running);
    const forget = (): void => {
      this.#running.delete(running);
    };
    running.then(forget, forget);
    return running;
  }

  #abort(key: number, reason: string): void {
    const submission = this.#submissions.get(key);
    if (submission === undefined || submission.reason !== undefined) return;
    submission.reason = reason;
    submission.controller.abort();
  }

  #onStarted(started: TaskStarted): void {
    const submission = this.#submissions.get(started.key);
    if (submission === undefined) return;
    submission.workerId = started.workerId;
    // A thread started after the task was dispatched is watched from now on; one that exited before its
    // announcement got here (its exit event came first, or it is no longer in the pool) fails the task at once.
    this.#watchThreads();
    const isAlive = this.#pool.threads.some((thread) => thread.threadId === started.workerId);
    if (this.#exited.has(started.workerId) || !isAlive) this.#abort(started.key, 'worker exited while scoring');
  }

  /**
   * tinypool does not notice a thread that exits by itself, and its task would never settle: every thread is
   * watched from before its first task, so that an exit is seen whether it comes before or after the thread's
   * announcement of the task it was on.
   */
  #watchThreads(): void {
    for (const thread of this.#pool.threads) {
      if (this.#watched.has(thread) || thread.threadId < 0) continue;
      this.#watched.add(thread);
      const workerId = thread.threadId;
      thread.once('exit', (code: number) => {
        this.#exited.add(workerId);
        for (const [key, s] of this.#submissions) {
          if (s.workerId === workerId) this.#abort(key, `worker exited (code ${code}) while scoring`);
        }
      });
    }
  }

  /** Resolves with a slot, and why the task was given up on while it waited, if it was. */
  async #acquire(): Promise<string | undefined> {
    if (this.#free > 0) {
      this.#free--;
      return undefined;
    }
    const waiter: { resume: () => void; givenUp: string | undefined } = { resume: () => undefined, givenUp: undefined };
    await new Promise<void>((resolve) => {
      waiter.resume = resolve;
      this.#waiting.push(waiter);
    });
    return waiter.givenUp;
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next.resume();
    else this.#free++;
  }
}

function adjustStdioListeners(by: number): void {
  for (const stream of [process.stdout, process.stderr]) stream.setMaxListeners(Math.max(10, stream.getMaxListeners() + by));
}
