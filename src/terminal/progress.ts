/**
 * A progress bar on stderr, shown only on a terminal. The library reports progress through a callback; this
 * module is the one that draws it.
 */

import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';
import type { RunProgress } from '../snapshot/run-snapshot.js';

/** Loaded only when a bar is drawn: importing it took 13 ms of every cold start, and cron has no terminal. */
function loadCliProgress(): typeof CliProgress {
  return createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
}

export interface ProgressBar {
  update(progress: RunProgress): void;
  stop(): void;
}

const NO_BAR: ProgressBar = { update() {}, stop() {} };

export function createRunProgress(isEnabled: boolean): ProgressBar {
  if (!isEnabled) return NO_BAR;
  const cliProgress = loadCliProgress();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {percentage}% | {rows} rows | {chunks} chunks | {rate} rows/s',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 30,
      // cli-progress draws plain characters; NO_COLOR needs nothing more from it.
    },
    cliProgress.Presets.shades_classic,
  );
  let isStarted = false;
  const start = performance.now();
  return {
    update(progress) {
      const total = progress.sizeBytes ?? 0;
      const payload = {
        rows: progress.rows.toLocaleString('en-US'),
        chunks: progress.chunks,
        rate: Math.round(progress.rows / Math.max((performance.now() - start) / 1000, 1e-3)).toLocaleString('en-US'),
      };
      if (!isStarted) {
        bar.start(Math.max(total, 1), 0, payload);
        isStarted = true;
      }
      bar.update(total > 0 ? Math.min(progress.bytesRead, total) : 0, payload);
    },
    stop() {
      if (isStarted) bar.stop();
    },
  };
}

export interface ReplayProgressBars {
  startSnapshot(input: string): void;
  update(progress: RunProgress): void;
  snapshotDone(done: number, rowsSoFar: number): void;
  stop(): void;
}

/**
 * Two bars for replay: snapshots done of total (with overall rows/s and ETA), and the current snapshot's bytes
 * read (with its rows so far).
 */
export function createReplayProgress(isEnabled: boolean, total: number): ReplayProgressBars {
  if (!isEnabled) return { startSnapshot() {}, update() {}, snapshotDone() {}, stop() {} };
  const cliProgress = loadCliProgress();
  const bars = new cliProgress.MultiBar(
    { stream: process.stderr, hideCursor: true, clearOnComplete: true, barsize: 30, format: '{bar} {percentage}% | {label} | ETA {eta_formatted}' },
    cliProgress.Presets.shades_classic,
  );
  const snapshots = bars.create(total, 0, { label: `0/${total} snapshots` });
  const current = bars.create(1, 0, { label: 'starting' });
  const start = performance.now();
  let name = '';
  return {
    startSnapshot(input) {
      name = input.replace(/^.*[\\/]/, '');
      current.setTotal(1);
      current.update(0, { label: `${name}: 0 rows` });
    },
    update(progress) {
      if (progress.sizeBytes !== undefined) current.setTotal(Math.max(progress.sizeBytes, 1));
      current.update(Math.min(progress.bytesRead, progress.sizeBytes ?? progress.bytesRead), { label: `${name}: ${progress.rows.toLocaleString('en-US')} rows` });
    },
    snapshotDone(done, rowsSoFar) {
      const rate = Math.round((rowsSoFar / Math.max(performance.now() - start, 1)) * 1000).toLocaleString('en-US');
      snapshots.update(done, { label: `${done}/${total} snapshots, ${rate} rows/s` });
    },
    stop() {
      bars.stop();
    },
  };
}
