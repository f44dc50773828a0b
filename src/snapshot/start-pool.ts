/** Starts the worker pool for a manifest (local models, or a V2 server's with --endpoint). */

import type { Manifest } from '../model/manifest.js';
import { modelSetup, type ModelSetup } from '../model/signature.js';
import { prepareRemoteModels, remoteConcurrency, type RemoteOptions } from '../remote/prepare-remote.js';
import { ScoringPool, type Isolation } from '../pool/scoring-pool.js';
import type { PoolHandle } from './snapshot-pool.js';

/** Resolves when every worker has loaded its models; the handle's pool must be destroyed by the caller. */
export async function startPool(manifest: Manifest, workers: number, isolation: Isolation, remote?: RemoteOptions): Promise<PoolHandle<ScoringPool>> {
  const models: ModelSetup[] = remote === undefined ? manifest.models.map(modelSetup) : await prepareRemoteModels(manifest, remote);
  if (remote !== undefined) {
    // A worker takes one chunk at a time (see ScoringPool.score) and sends its rows as this many requests at once,
    // so that --concurrency requests are in flight when every worker is waiting on the server.
    const requestsPerChunk = Math.ceil(remoteConcurrency(remote, models[0]?.remote?.replicas) / workers);
    for (const model of models) if (model.remote !== undefined) model.remote.requestsPerChunk = requestsPerChunk;
  }
  const pool = new ScoringPool({ workers, isolation, models });
  try {
    return { pool, started: await pool.start(), manifest };
  } catch (error) {
    await pool.destroy();
    throw error;
  }
}
