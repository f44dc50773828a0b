/**
 * Errors that reach the user. Deep code throws a BatchInferError carrying a stable code, the context the
 * message needs and the exit status; only cli.ts prints it and sets the exit code.
 */

export const ExitCode = {
  ok: 0,
  rowsRejected: 1,
  usage: 2,
  deadline: 3,
  snapshotsFailed: 4,
  tooManyRejects: 5,
  locked: 75,
  interrupted: 130,
  terminated: 143,
} as const;

export type ErrorCode =
  | 'USAGE'
  | 'INPUT_NOT_FOUND'
  | 'INPUT_UNREADABLE'
  | 'INPUT_HEADER'
  | 'INPUT_FORMAT'
  | 'INPUT_LINE_TOO_LONG'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_MISMATCH'
  | 'MODEL_LOAD'
  | 'OUTPUT_UNWRITABLE'
  | 'WORKER_FAILED'
  | 'RESULTS_DIFFER'
  | 'INTERRUPTED'
  | 'LOCKED'
  | 'CONFIG_INVALID'
  | 'REMOTE_UNAVAILABLE'
  | 'REMOTE_MISMATCH';

export class BatchInferError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BatchInferError';
    this.code = code;
    this.exitCode = options.exitCode ?? ExitCode.usage;
  }
}

export function isBatchInferError(error: unknown): error is BatchInferError {
  return error instanceof BatchInferError;
}

/** The exit status a thrown error ends the command with. */
export function exitCodeOf(error: unknown): number {
  return isBatchInferError(error) ? error.exitCode : ExitCode.usage;
}

/** The message of anything thrown, on one line. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
