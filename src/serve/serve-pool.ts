/**
 * The server's scoring pool, kept loaded between requests, and its replacement on reload: a new pool is
 * started beside the old one, requests that start after it is ready use it, and the old one is destroyed once
 * the last request that leased it is done. A failed reload keeps the old pool.
 */

import type { ScoringPool } from '../pool/scoring-pool.js';
import type { PoolHandle, SnapshotPool } from '../snapshot/snapshot-pool.js';

type StartPool = () => Promise<PoolHandle<ScoringPool>>;

interface Generation {
  starting: Promise<PoolHandle<ScoringPool>>;
  /** Set once started, until destroyed: a pool whose running tasks can be given up on. */
  started: ScoringPool | undefined;
  leases: number;
  /** Whether a request warmed this pool's workers up yet (once per pool, not per request). */
  isWarm: boolean;
  /** Replaced by a newer pool: destroyed when its last lease ends. */
  isRetired: boolean;
}

export interface PoolLease {
  /** The handle to score through; its pool is never destroyed or abandoned by a request. */
  handle: Promise<PoolHandle>;
  /** The pool itself, for what is not a snapshot (a V2 infer request). */
  scoring: Promise<PoolHandle<ScoringPool>>;
  /** True for the first request on a pool: it warms the workers up, as run does. */
  isFirstUse: boolean;
  release(): void;
}

export class ServePool {
  #current: Generation;
  #isReady = false;
  #reloading: Promise<void> | undefined;
  readonly #retiring = new Set<Promise<void>>();
  readonly #live = new Set<Generation>();

  /** Starts the first pool at once; `ready` settles when its workers have loaded their models. */
  constructor(
    readonly start: StartPool,
    workers: number,
  ) {
    this.workers = workers;
    this.#current = this.#startGeneration();
    this.ready = this.#current.starting.then(() => {
      this.#isReady = true;
    });
    this.ready.catch(() => undefined); // The caller awaits it; a failed start is reported there.
  }

  readonly ready: Promise<void>;

  /** The workers of each pool (the same for every reload). */
  readonly workers: number;

  /** Every worker of the pool requests go to has loaded its models. */
  get isReady(): boolean {
    return this.#isReady;
  }

  #startGeneration(): Generation {
    const starting = this.start();
    const generation: Generation = { starting, started: undefined, leases: 0, isWarm: false, isRetired: false };
    this.#live.add(generation);
    starting.then(
      (handle) => (generation.started = handle.pool),
      () => this.#live.delete(generation),
    );
    return generation;
  }

  lease(): PoolLease {
    const generation = this.#current;
    generation.leases++;
    const isFirstUse = !generation.isWarm;
    generation.isWarm = true;
    let isReleased = false;
    return {
      handle: generation.starting.then(requestHandle),
      scoring: generation.starting,
      isFirstUse,
      release: () => {
        if (isReleased) return;
        isReleased = true;
        generation.leases--;
        if (generation.isRetired && generation.leases === 0) this.#destroy(generation);
      },
    };
  }

  /** Starts a new pool and switches to it when ready; resolves then (rejects, keeping the old, if it fails). */
  reload(): Promise<void> {
    this.#reloading ??= this.#switch().finally(() => (this.#reloading = undefined));
    return this.#reloading;
  }

  async #switch(): Promise<void> {
    const next = this.#startGeneration();
    await next.starting; // A failed start leaves the current pool serving.
    const old = this.#current;
    this.#current = next;
    old.isRetired = true;
    if (old.leases === 0) this.#destroy(old);
  }

  /** Shutdown past its grace: every task on every pool (a retired one still finishing included) fails now. */
  abandonRunning(reason: string): void {
    for (const generation of this.#live) generation.started?.abandonRunning(reason);
  }

  #destroy(generation: Generation): void {
    this.#live.delete(generation);
    const destroying = generation.starting.then(
      (handle) => handle.pool.destroy(),
      () => undefined,
    );
    this.#retiring.add(destroying);
    void destroying.finally(() => this.#retiring.delete(destroying));
  }

  /** After the last request: destroys every pool, the one starting on a reload included. */
  async close(): Promise<void> {
    await this.#reloading?.catch(() => undefined);
    this.#current.isRetired = true;
    this.#destroy(this.#current);
    await Promise.allSettled([...this.#retiring]);
  }
}

/** What a request scores through: the shared pool, without the power to destroy it or abandon others' chunks. */
function requestHandle(handle: PoolHandle<ScoringPool>): PoolHandle {
  const { pool } = handle;
  const shared: SnapshotPool = {
    workers: pool.workers,
    score: (task, timeoutMs, onDispatched) => pool.score(task, timeoutMs, onDispatched),
    warmUp: (bytes, plan, chunkBytes) => pool.warmUp(bytes, plan, chunkBytes),
    destroy: async () => undefined,
  };
  return { ...handle, pool: shared };
}
