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
