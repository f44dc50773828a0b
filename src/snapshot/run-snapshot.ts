/**
 * `run` as a library call: start a pool (workers load their models while the snapshot's header is read), score
 * one snapshot through it, and stop the pool.
 */

import type { Manifest } from '../model/manifest.js';
import type { Isolation } from '../pool/scoring-pool.js';
import type { RemoteOptions } from '../remote/prepare-remote.js';
import { scoreSnapshot, type SnapshotHooks, type SnapshotOptions } from './score-snapshot.js';
import { isWithoutRows } from '../input/peek-rows.js';
import { statInput } from '../input/read-input.js';
import type { PoolHandle, SnapshotPool } from './snapshot-pool.js';
import { startPool } from './start-pool.js';
import { resolveEngines, type EngineChoice } from '../model/choose-engine.js';
import type { RunTiming } from './timing.js';

export type { RunProgress } from './score-snapshot.js';

export interface RunOptions extends SnapshotOptions {
  manifest: Manifest;
  workers: number;
  isolation: Isolation;
  /** --engine: which engine scores each model; irrelevant with --endpoint. Undefined: onnxruntime. */
  engine?: EngineChoice;
  /** Score on a V2 inference server instead of in the workers (--endpoint). */
  remote: RemoteOptions | undefined;
}

/**
 * For an input with no rows: a pool that never starts, with the signatures the manifest declares. The output is
 * the header alone; the models are not loaded, so they are not checked against the manifest either. Undefined
 * where the manifest leaves the columns to the model (the --model quick path).
 */
function unstartedHandle(manifest: Manifest, workers: number): PoolHandle | undefined {
  if (manifest.models.some((m) => m.outputs === undefined || m.inputs.some((input) => input.columns === undefined))) return undefined;
  const signatures = manifest.models.map((m) => ({
    name: m.name,
    path: m.path,
    inputs: m.inputs.map((input) => ({ name: input.name, type: input.type, shape: ['N', input.columns!.length] })),
    outputs: (m.outputs ?? []).map((output) => ({ name: output.name, type: 'float32', shape: ['N', output.columns!.length] })),
  }));
  const pool: SnapshotPool = {
    workers,
    score: () => Promise.reject(new Error('no pool was started: the input has no rows')),
    warmUp: async () => 0,
    destroy: async () => undefined,
  };
  return { pool, manifest, started: { signatures, startupMs: 0, loadMs: [], workerIds: [] } };
}

export async function runSnapshot(options: RunOptions, hooks: SnapshotHooks = {}): Promise<RunTiming> {
  const timing = await scoreThroughPool(options, hooks);
  return { ...timing, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

async function scoreThroughPool(options: RunOptions, hooks: SnapshotHooks): Promise<RunTiming> {
  // A missing or unreadable file is reported at once, not after every worker loaded its models.
  const path = options.input.path;
  if (options.input.source === undefined && path !== undefined && path !== '-') statInput(path);
  const unstarted = options.remote === undefined && isWithoutRows(options.input) ? unstartedHandle(options.manifest, options.workers) : undefined;
  if (unstarted !== undefined) {
    hooks.onPhase?.('notice', { message: `${options.input.path}: no rows; the output is the header alone (no worker was started)` });
    return scoreSnapshot(unstarted, options, hooks);
  }
  if (options.remote === undefined) {
    const notice = (message: string) => hooks.onPhase?.('notice', { message });
    options = { ...options, manifest: await resolveEngines(options.manifest, options.engine ?? 'onnxruntime', notice) };
  }
  const starting = startPool(options.manifest, options.workers, options.isolation, options.remote);
  // A failed start is reported where the snapshot awaits it; never as an unhandled rejection meanwhile.
  starting.catch(() => undefined);
  try {
    return await scoreSnapshot(starting, options, hooks);
  } finally {
    await starting.then(
      (handle) => handle.pool.destroy(),
      () => undefined,
    );
  }
}
