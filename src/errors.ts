/**
 * Errors that reach the user, and the exit-code contract. Deep code throws a BatchInferError carrying a stable
 * code and the context its message needs; its exit status comes from the one table below (sysexits numbers where
 * a class fits), which README's table and `batch-infer --help` show. Only cli.ts prints an error and sets the
 * exit code.
 */

export const ExitCode = {
  ok: 0,
  rowsRejected: 1,
  deadline: 3,
  snapshotsFailed: 4,
  tooManyRejects: 5,
  usage: 64,
  data: 65,
  noInput: 66,
  unavailable: 69,
  internal: 70,
  cannotCreate: 73,
  ioError: 74,
  temporaryFailure: 75,
  config: 78,
  interrupted: 130,
  terminated: 143,
} as const;

export type ErrorCode =
  | 'USAGE'
  | 'CONFIG_INVALID'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_MISMATCH'
  | 'REMOTE_MISMATCH'
  | 'INPUT_NOT_FOUND'
  | 'INPUT_UNREADABLE'
  | 'MODEL_LOAD'
  | 'LISTEN_FAILED'
  | 'INPUT_HEADER'
  | 'OUTPUT_UNWRITABLE'
  | 'OUTPUT_WRITE_FAILED'
  | 'REMOTE_UNAVAILABLE'
  | 'LOCKED'
  | 'WORKER_FAILED'
  | 'RESULTS_DIFFER'
  | 'INTERNAL'
  | 'INTERRUPTED';

export interface ExitStatusRow {
  status: number;
  meaning: string;
  /** What a scheduler or an operator does about it. */
  action: string;
  /** The error codes that end with this status (none for statuses the rows decide). */
  codes: readonly ErrorCode[];
}

/** The exit-code contract: every status a command can end with. README's "Exit codes" table is this table. */
export const EXIT_STATUSES: readonly ExitStatusRow[] = [
  { status: ExitCode.ok, meaning: 'every row scored (replay: every snapshot; bench: no regression)', action: 'none', codes: [] },
  { status: ExitCode.rowsRejected, meaning: 'some rows rejected, the rest scored and written (bench: `--baseline` found a regression)', action: 'look at the rejects file', codes: [] },
  { status: ExitCode.deadline, meaning: '`--deadline` passed; the output is written (with `abort`, unscored rows are rejects)', action: 'more workers, or a longer budget', codes: [] },
  { status: ExitCode.snapshotsFailed, meaning: 'replay: some snapshots failed (reported, skipped); the others were scored', action: 'fix those inputs, then `--resume`', codes: [] },
  { status: ExitCode.tooManyRejects, meaning: 'more rows rejected than `--max-rejects` (default 50%); the output is written', action: 'check the model and the input: something systematic', codes: [] },
  { status: ExitCode.usage, meaning: 'usage: an unknown flag, a bad value, a missing argument', action: 'fix the command line', codes: ['USAGE'] },
  { status: ExitCode.data, meaning: "data: the input is not a usable snapshot (no header, a column the manifest needs is missing)", action: 'fix or skip the input', codes: ['INPUT_HEADER'] },
  { status: ExitCode.noInput, meaning: 'no input: an input or model file is missing, unreadable or not what it should be', action: 'fix the path or the file', codes: ['INPUT_NOT_FOUND', 'INPUT_UNREADABLE', 'MODEL_LOAD'] },
  { status: ExitCode.unavailable, meaning: 'service unavailable: the `--endpoint` server cannot be reached or keeps failing; `serve` cannot listen on its `--host`/`--port`', action: 'retry later; page if it lasts (serve: free the port or pick another)', codes: ['REMOTE_UNAVAILABLE', 'LISTEN_FAILED'] },
  { status: ExitCode.internal, meaning: 'internal error: a bug, or `--compare` found different predictions', action: 'page someone; rerun with `--debug`', codes: ['WORKER_FAILED', 'RESULTS_DIFFER', 'INTERNAL'] },
  { status: ExitCode.cannotCreate, meaning: 'cannot create an output: a missing directory, no permission, a directory in the way', action: 'fix the output path', codes: ['OUTPUT_UNWRITABLE'] },
  { status: ExitCode.ioError, meaning: 'I/O error while writing an output: disk full, the reader of stdout went away', action: 'free space or fix the reader, then retry', codes: ['OUTPUT_WRITE_FAILED'] },
  { status: ExitCode.temporaryFailure, meaning: '`--lock` is held by a live process: the previous run is still going', action: 'retry at the next tick', codes: ['LOCKED'] },
  { status: ExitCode.config, meaning: 'configuration: the `--config` file or the manifest is invalid, or does not fit the model or the server', action: 'fix the config or the manifest', codes: ['CONFIG_INVALID', 'MANIFEST_INVALID', 'MANIFEST_MISMATCH', 'REMOTE_MISMATCH'] },
  { status: ExitCode.interrupted, meaning: 'stopped by SIGINT; nothing partial is left (replay keeps completed snapshots)', action: 'none', codes: ['INTERRUPTED'] },
  { status: ExitCode.terminated, meaning: 'stopped by SIGTERM; as for SIGINT', action: 'none', codes: [] },
];

const STATUS_OF_CODE = new Map<ErrorCode, number>(EXIT_STATUSES.flatMap((row) => row.codes.map((code) => [code, row.status] as const)));

/** The exit status of an error code, from EXIT_STATUSES. */
export function exitStatusOf(code: ErrorCode): number {
  return STATUS_OF_CODE.get(code) ?? ExitCode.internal;
}

export class BatchInferError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;

  /** `exitCode` only where the table cannot know it: INTERRUPTED by SIGTERM is 143. */
  constructor(code: ErrorCode, message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BatchInferError';
    this.code = code;
    this.exitCode = options.exitCode ?? exitStatusOf(code);
  }
}

export function isBatchInferError(error: unknown): error is BatchInferError {
  return error instanceof BatchInferError;
}

/**
 * The error for a file the command reads (a snapshot, the manifest, a --config or --baseline file) that the
 * system would not give it: missing, or unreadable. Either is 'no input' (66), not a usage or config error.
 */
export function readFailedError(label: string, error: unknown): BatchInferError {
  const isMissing = (error as NodeJS.ErrnoException).code === 'ENOENT';
  return new BatchInferError(isMissing ? 'INPUT_NOT_FOUND' : 'INPUT_UNREADABLE', `${label}: ${isMissing ? 'no such file' : describeError(error)}`, { cause: error });
}

/** The exit status a thrown error ends the command with: anything not ours is an internal error. */
export function exitCodeOf(error: unknown): number {
  return isBatchInferError(error) ? error.exitCode : ExitCode.internal;
}

/** The message of anything thrown, on one line. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** The exit-code table as `--help` prints it. */
export function formatExitStatuses(): string {
  const width = Math.max(...EXIT_STATUSES.map((row) => String(row.status).length));
  return EXIT_STATUSES.map((row) => `  ${String(row.status).padStart(width)}  ${row.meaning.replaceAll('`', '')}`).join('\n');
}
