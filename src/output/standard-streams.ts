/**
 * The process's standard streams when their reader goes away.
 *
 * - stderr carries only messages: a log reader that died (`2>&1 | head -1`, a log shipper that crashed) must not
 *   end a scheduled job, so a write that fails there is dropped and the run goes on and writes its output.
 * - stdout is either data (run's predictions, see openStdoutSink: a closed pipe there is an error, since rows were
 *   lost) or informational (help, --print-config, generate, inspect, bench's table): then a closed pipe ends the
 *   command quietly with 0, as grep, ripgrep and jq do.
 */

let isStdoutData = false;

function isClosedPipe(error: NodeJS.ErrnoException): boolean {
  return error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED';
}

/** Called once, first thing in the CLI. */
export function guardStandardStreams(): void {
  process.stderr.on('error', () => undefined);
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    // Nothing else is running: informational output is written when the work is done (or is the work).
    if (!isStdoutData && isClosedPipe(error)) process.exit(0);
  });
}

/** stdout carries predictions from now on: its sink reports a closed pipe itself. */
export function markStdoutAsData(): void {
  isStdoutData = true;
}
