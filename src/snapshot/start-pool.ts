/** Starts the worker pool for a manifest (local models, or a V2 server's with --endpoint). */

import type { Manifest } from '../model/manifest.js';
import { prepareRemoteModels, remoteConcurrency, type RemoteOptions } from '../remote/prepare-remote.js';
import { ScoringPool, type Isolation } from '../pool/scoring-pool.js';
import type { PoolHandle } from './snapshot-pool.js';

/** Resolves when every worker has loaded its models; the handle's pool must be destroyed by the caller. */
export async function startPool(manifest: Manifest, workers: number, isolation: Isolation, remote?: RemoteOptions): Promise<PoolHandle<ScoringPool>> {
  const models = remote === undefined ? manifest.models.map((m) => ({ name: m.name, path: m.path, engine: m.engine })) : await prepareRemoteModels(manifest, remote);
  const concurrency = remote === undefined ? workers : remoteConcurrency(remote, models);
  const pool = new ScoringPool({ workers, isolation, models, tasksPerWorker: Math.ceil(concurrency / workers) });
  try {
    return { pool, started: await pool.start(), manifest };
  } catch (error) {
    await pool.destroy();
    throw error;
  }
}
