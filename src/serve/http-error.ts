/**
 * An HTTP failure with its status and a stable code; sent as one line of JSON, so that a curl user reads it and
 * a client can act on `code`. Errors from the snapshot pipeline map onto a status by their exit status.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { BatchInferError, describeError, ExitCode } from '../errors.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** What the client sent is at fault (400), the server cannot serve now (503), or it is a bug (500). */
export function httpErrorOf(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (!(error instanceof BatchInferError)) return new HttpError(500, 'INTERNAL', `internal error: ${describeError(error)}`);
  const clientFaults: number[] = [ExitCode.usage, ExitCode.data, ExitCode.noInput, ExitCode.config];
  if (clientFaults.includes(error.exitCode)) return new HttpError(400, error.code, error.message);
  const unavailable: number[] = [ExitCode.unavailable, ExitCode.temporaryFailure, ExitCode.interrupted, ExitCode.terminated];
  if (unavailable.includes(error.exitCode)) return new HttpError(503, error.code, error.message, { 'Retry-After': '1' });
  return new HttpError(500, error.code, error.message);
}

/** Unread body thrown away after an error before the connection is cut instead. */
const DISCARD_BYTES = 8 << 20;

/**
 * Sends the error as `{"error":{"code":...,"message":...}}` and a newline. The connection is closed after it:
 * the request's body may not have been read, and must not be taken for the next request. A body still arriving
 * is read and thrown away (up to DISCARD_BYTES): closing on unread data resets the connection, and the client
 * would lose the answer.
 */
export function sendError(request: IncomingMessage, response: ServerResponse, error: HttpError, isV2 = false): void {
  if (!request.complete) {
    let discarded = 0;
    request.on('data', (piece: Buffer) => {
      discarded += piece.length;
      if (discarded > DISCARD_BYTES) request.socket.destroy();
    });
    request.resume();
  }
  if (response.headersSent) {
    response.destroy();
    return;
  }
  // The V2 protocol's error is a string; ours carries the code beside it.
  const body = `${JSON.stringify(isV2 ? { error: error.message, code: error.code } : { error: { code: error.code, message: error.message } })}\n`;
  response.writeHead(error.status, { ...error.headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  response.end(body);
}
