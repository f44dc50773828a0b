/**
 * `run` as a library call: start a pool (workers load their models while the snapshot's header is read), score
 * one snapshot through it, and stop the pool.
 */

import type { Manifest } from '../model/manifest.js';
import type { Isolation } from '../pool/scoring-pool.js';
import type { RemoteOptions } from '../remote/prepare-remote.js';
import { scoreSnapshot, type SnapshotHooks, type SnapshotOptions } from './score-snapshot.js';
import { startPool } from './start-pool.js';
import type { RunTiming } from './timing.js';

export type { RunProgress } from './score-snapshot.js';

export interface RunOptions extends SnapshotOptions {
  manifest: Manifest;
  workers: number;
  isolation: Isolation;
  /** Score on a V2 inference server instead of in the workers (--endpoint). */
  remote: RemoteOptions | undefined;
}

export async function runSnapshot(options: RunOptions, hooks: SnapshotHooks = {}): Promise<RunTiming> {
  const starting = startPool(options.manifest, options.workers, options.isolation, options.remote);
  // A failed start is reported where the snapshot awaits it; never as an unhandled rejection meanwhile.
  starting.catch(() => undefined);
  try {
    const timing = await scoreSnapshot(starting, options, hooks);
    return { ...timing, peakRssMb: process.resourceUsage().maxRSS / 1024 };
  } finally {
    await starting.then(
      (handle) => handle.pool.destroy(),
      () => undefined,
    );
  }
}
