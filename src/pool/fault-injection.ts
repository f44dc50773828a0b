/**
 * A test-only hook to make workers fail on purpose, so that tests can prove the pool's guarantees without
 * editing code. Set BATCH_INFER_FAULT to a comma-separated list of faults:
 *
 *   KIND@CHUNK        on every attempt at chunk CHUNK (0-based index)
 *   KIND@CHUNKxN      on the first N attempts only (so a retry can succeed)
 *   KIND@infer[xN]    on every try of a V2 infer task (serve's POST /v2/models/{name}/infer), or the first N
 *
 * KIND is one of: throw (the task throws), exit (the worker thread or process exits by itself), hang (the
 * worker blocks and never answers), kill (the worker process is killed with SIGKILL; process isolation only),
 * abort (a native abort, as a crashing model would: ends the whole process unless workers are processes).
 * Unset in normal use: then none of this runs.
 */

export type FaultKind = 'throw' | 'exit' | 'hang' | 'kill' | 'abort';

/** The chunk index faults on infer tasks are filed under (a chunk's index is never negative). */
export const INFER_TASK = -1;

export interface Fault {
  kind: FaultKind;
  chunk: number;
  attempts: number;
}

const KINDS: readonly FaultKind[] = ['throw', 'exit', 'hang', 'kill', 'abort'];

export function parseFaults(spec: string | undefined): Fault[] {
  if (spec === undefined || spec.trim() === '') return [];
  return spec.split(',').map((item) => {
    const match = /^(\w+)@(\d+|infer)(?:x(\d+))?$/.exec(item.trim());
    if (match === null || !KINDS.includes(match[1] as FaultKind)) {
      throw new Error(`BATCH_INFER_FAULT: cannot read '${item}' (expected KIND@CHUNK, KIND@CHUNKxN or KIND@infer[xN], KIND one of ${KINDS.join(', ')})`);
    }
    return { kind: match[1] as FaultKind, chunk: match[2] === 'infer' ? INFER_TASK : Number(match[2]), attempts: match[3] === undefined ? Number.POSITIVE_INFINITY : Number(match[3]) };
  });
}

/** Fails the way the fault says, if one applies to this attempt at this chunk. */
export function injectFault(faults: readonly Fault[], chunk: number, attempt: number): void {
  const fault = faults.find((f) => f.chunk === chunk && attempt < f.attempts);
  if (fault === undefined) return;
  switch (fault.kind) {
    case 'throw':
      throw new Error(`injected fault: throw at chunk ${chunk}`);
    case 'exit':
      process.exit(7);
      break;
    case 'hang':
      // Blocks the thread itself, as a stuck native call would: no timer or message gets through.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      break;
    case 'kill':
      process.kill(process.pid, 'SIGKILL');
      break;
    case 'abort':
      process.abort();
  }
}
