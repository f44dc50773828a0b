/**
 * Why a snapshot stops taking chunks, if it does: a deadline in 'abort' mode, or an interrupt (SIGINT,
 * SIGTERM). Every chunk not scored by then becomes a reject with that reason, so that nothing is lost.
 */

import { BatchInferError, ExitCode } from '../errors.js';
import type { Deadline, SnapshotHooks } from './snapshot-options.js';

export interface StopWatch {
  /** 'deadline' or 'interrupted' once the snapshot must stop taking chunks. */
  readonly reason: string | undefined;
  readonly isDeadlinePassed: boolean;
  /** Stops watching: clears the deadline's timer and the signal's listener. */
  dispose(): void;
}

export function watchStops(deadline: Deadline | undefined, signal: AbortSignal | undefined, onPhase: SnapshotHooks['onPhase']): StopWatch {
  let reason: string | undefined;
  let isDeadlinePassed = false;
  const timer =
    deadline === undefined
      ? undefined
      : setTimeout(() => {
          isDeadlinePassed = true;
          onPhase?.('deadline', { mode: deadline.mode });
          // Chunks already on a worker finish and are written (stopping a thread inside native inference code
          // is not safe); no new chunk is scored.
          if (deadline.mode === 'abort') reason = 'deadline';
        }, Math.max(0, deadline.at - performance.now()));
  const onInterrupt = (): void => {
    reason ??= 'interrupted';
  };
  signal?.addEventListener('abort', onInterrupt, { once: true });
  return {
    get reason() {
      return reason;
    },
    get isDeadlinePassed() {
      return isDeadlinePassed;
    },
    dispose() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onInterrupt);
    },
  };
}

/** The error an interrupted snapshot ends with; its exit status says which signal. */
export function interruptedError(signal: AbortSignal): BatchInferError {
  const code = signal.reason === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
  return new BatchInferError('INTERRUPTED', `stopped by ${String(signal.reason ?? 'SIGINT')}; no output was written`, { exitCode: code });
}
