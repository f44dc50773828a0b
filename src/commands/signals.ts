/**
 * SIGINT and SIGTERM during a command: one path for every command that scores.
 */

import { ExitCode } from '../errors.js';
import { removeTemporaryFiles } from '../output/write-output.js';

/** Stops the run on SIGINT or SIGTERM: it aborts, removes its temporary files and exits 130 or 143. */
export function onSignals(controller: AbortController): () => void {
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const handler = (): void => {
      if (controller.signal.aborted) {
        // A second signal: leave now, still without half-written output.
        removeTemporaryFiles();
        process.exit(signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);
      }
      controller.abort(signal);
      // Chunks on a worker are let finish (tens of ms); should one hang, do not wait for it for ever.
      setTimeout(() => {
        removeTemporaryFiles();
        process.exit(signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);
      }, 10_000).unref();
    };
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  return () => handlers.forEach((off) => off());
}

/**
 * A long-lived command's signals: SIGINT and SIGTERM call `stop` once (a second one leaves at once, as above),
 * SIGHUP calls `reload`. The command's own stop path drains and exits 0.
 */
export function onServeSignals(stop: (signal: NodeJS.Signals) => void, reload: () => void): () => void {
  let isStopping = false;
  const handlers: [NodeJS.Signals, () => void][] = (['SIGINT', 'SIGTERM'] as const).map((signal) => [
    signal,
    () => {
      if (isStopping) {
        removeTemporaryFiles();
        process.exit(signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);
      }
      isStopping = true;
      stop(signal);
    },
  ]);
  handlers.push(['SIGHUP', reload]);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => handlers.forEach(([signal, handler]) => process.off(signal, handler));
}
