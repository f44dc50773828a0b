/**
 * A progress bar on stderr, shown only on a terminal. The library reports progress through a callback; this
 * module is the one that draws it.
 */

import cliProgress from 'cli-progress';
import type { RunProgress } from './run-snapshot.js';

export interface ProgressBar {
  update(progress: RunProgress): void;
  stop(): void;
}

const NO_BAR: ProgressBar = { update() {}, stop() {} };

export function createRunProgress(isEnabled: boolean): ProgressBar {
  if (!isEnabled) return NO_BAR;
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
