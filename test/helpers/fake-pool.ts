import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifest } from '../../src/model/manifest.js';
import type { ScoringPlan } from '../../src/model/scoring-plan.js';
import { ChunkFailure } from '../../src/pool/scoring-pool.js';
import type { ChunkScored } from '../../src/scoring/score-chunk.js';
import type { ChunkRequest, PoolHandle, SnapshotPool } from '../../src/snapshot/snapshot-pool.js';
import { MODELS, SNAPSHOT } from './paths.js';

export interface FakeBehaviour {
  /** How many tries of chunk `index` fail (ChunkFailure) before one succeeds; 0 by default. */
  failures?: (index: number) => number;
  /** How long chunk `index` takes, in ms; 0 by default. */
  delayMs?: (index: number) => number;
}

/**
 * A pool without threads or models: a chunk "scored" comes back as its own lines, one output row per record, so
 * that a test can check order and counts against the input.
 */
export class FakePool implements SnapshotPool {
  readonly workers = 2;
  /** Every score call, in call order (retries included). */
  readonly calls: ChunkRequest[] = [];
  /** Score calls not yet settled. */
  active = 0;
  maxActive = 0;
  warmUps = 0;
  isDestroyed = false;

  constructor(readonly behaviour: FakeBehaviour = {}) {}

  async score(task: ChunkRequest, _timeoutMs: number | undefined, onDispatched?: () => void): Promise<ChunkScored> {
    this.calls.push(task);
    onDispatched?.();
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      const delay = this.behaviour.delayMs?.(task.index) ?? 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      const failures = this.behaviour.failures?.(task.index) ?? 0;
      if (task.attempt < failures) throw new ChunkFailure(`fake failure ${task.attempt + 1} of chunk ${task.index}`);
      const rows = countLines(task.bytes);
      return {
        kind: 'chunk',
        ok: true,
        index: task.index,
        workerId: 1,
        loadCount: 1,
        rowsIn: rows,
        rowsOut: rows,
        rowsRejected: 0,
        output: task.bytes.slice(),
        rejects: new Uint8Array(0),
        parseMs: 0,
        inferMs: 0,
        busyMs: delay,
        networkMs: 0,
        serverMs: 0,
        requests: 0,
        requestRetries: 0,
      };
    } finally {
      this.active--;
    }
  }

  async warmUp(_bytes: Uint8Array, _plan: ScoringPlan, _chunkBytes: number): Promise<number> {
    this.warmUps++;
    return 0;
  }

  async destroy(): Promise<void> {
    this.isDestroyed = true;
  }
}

function countLines(bytes: Uint8Array): number {
  return Buffer.from(bytes).toString('utf8').split('\n').filter((line) => line !== '').length;
}

/** The fixture autoencoder's manifest, with the signature its worker would report, around a fake pool. */
export function fakeHandle(pool: FakePool): PoolHandle<FakePool> {
  const manifest = loadManifest(join(MODELS, 'autoencoder.manifest.json'));
  const model = manifest.models[0]!;
  const signature = {
    name: model.name,
    path: model.path,
    inputs: [{ name: 'metrics', type: 'float32', shape: ['batch', 14] }],
    outputs: [{ name: 'reconstruction_error', type: 'float32', shape: ['batch', 1] }],
  };
  return { pool, manifest, started: { signatures: [signature], startupMs: 0, loadMs: [0], workerIds: [1] } };
}

/** The fixture snapshot's header and its first `rows` records, as CSV text. */
export function snapshotRows(rows: number): { header: string; body: string[] } {
  const lines = readFileSync(SNAPSHOT, 'utf8').trimEnd().split('\n');
  return { header: lines[0]!, body: lines.slice(1, 1 + rows) };
}
