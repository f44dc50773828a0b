/**
 * Why a snapshot stops taking chunks, if it does: a deadline in 'abort' mode, or an interrupt (SIGINT,
 * SIGTERM). Every chunk not scored by then becomes a reject with that reason, so that nothing is lost.
 */

import { BatchInferError, ExitCode } from '../errors.js';
import type { Deadline, SnapshotHooks } from './snapshot-options.js';

/**
 * How long chunks already on a worker get after a deadline in 'abort' mode before they are abandoned (their
 * workers stopped, their rows deadline rejects): the run ends within about a second of its deadline even when a
 * worker hangs. Longer than any chunk here takes (a 16k-row chunk of the 4-model manifest takes ~0.2 s).
 */
export const DEADLINE_GRACE_MS = 500;

export interface StopWatch {
  /** 'deadline' or 'interrupted' once the snapshot must stop taking chunks. */
  readonly reason: string | undefined;
  readonly isDeadlinePassed: boolean;
  /** Resolves on an interrupt, or when a deadline in 'abort' mode passes: reading the input ends then. */
  readonly cut: Promise<void>;
  /** Stops watching: clears the deadline's timer and the signal's listener. */
  dispose(): void;
}

/** `abandon`: gives up on the chunks still on a worker (see DEADLINE_GRACE_MS). */
export function watchStops(deadline: Deadline | undefined, signal: AbortSignal | undefined, onPhase: SnapshotHooks['onPhase'], abandon?: (reason: string) => void): StopWatch {
  let reason: string | undefined;
  let isDeadlinePassed = false;
  let markCut: () => void = () => undefined;
  const cut = new Promise<void>((resolve) => (markCut = resolve));
  let graceTimer: NodeJS.Timeout | undefined;
  const timer =
    deadline === undefined
      ? undefined
      : setTimeout(() => {
          isDeadlinePassed = true;
          onPhase?.('deadline', { mode: deadline.mode });
          if (deadline.mode !== 'abort') return;
          // No new chunk is scored, and no more input is read; chunks already on a worker get a grace period
          // (stopping a thread inside native inference code is not safe), then are abandoned.
          reason = 'deadline';
          markCut();
          graceTimer = setTimeout(() => abandon?.('deadline'), DEADLINE_GRACE_MS);
        }, Math.max(0, deadline.at - performance.now()));
  const onInterrupt = (): void => {
    reason ??= 'interrupted';
    markCut();
  };
  signal?.addEventListener('abort', onInterrupt, { once: true });
  return {
    get reason() {
      return reason;
    },
    get isDeadlinePassed() {
      return isDeadlinePassed;
    },
    cut,
    dispose() {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      signal?.removeEventListener('abort', onInterrupt);
    },
  };
}

/** The error an interrupted snapshot ends with; its exit status says which signal. */
export function interruptedError(signal: AbortSignal): BatchInferError {
  const code = signal.reason === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
  return new BatchInferError('INTERRUPTED', `stopped by ${String(signal.reason ?? 'SIGINT')}; no output was written`, { exitCode: code });
}
