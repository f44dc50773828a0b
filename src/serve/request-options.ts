/**
 * What one POST /v1/score asks for beyond the snapshot itself, from its query and headers: the input and
 * output formats, the response shape, and a deadline. Each bad value is a 400 naming the parameter.
 */

import type { IncomingMessage } from 'node:http';
import { BatchInferError } from '../errors.js';
import { parseDuration } from '../config/parse-values.js';
import type { InputFormat, OutputFormat } from '../model/scoring-plan.js';
import type { Deadline } from '../snapshot/snapshot-options.js';
import { HttpError } from './http-error.js';

export interface ScoreRequestOptions {
  /** From Content-Type; undefined: sniffed from the first bytes, as run does for stdin. */
  inputFormat: InputFormat | undefined;
  outputFormat: OutputFormat;
  /** Accept: application/json: predictions and rejects in one JSON object instead of the predictions alone. */
  isEnvelope: boolean;
  deadline: Deadline | undefined;
  /** Content-Length of an uncompressed body: chunks are then balanced over the workers as run does for a file. */
  sizeBytes: number | undefined;
}

function badRequest(message: string): never {
  throw new HttpError(400, 'BAD_REQUEST', message);
}

function inputFormatOf(contentType: string | undefined): InputFormat | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/csv') return 'csv';
  if (/^application\/(x-)?(ndjson|jsonl|jsonlines)$/.test(type)) return 'ndjson';
  return undefined;
}

function outputFormatOf(accept: string, query: URLSearchParams, fallback: OutputFormat): OutputFormat {
  const format = query.get('format');
  if (format !== null) {
    if (format !== 'csv' && format !== 'ndjson') badRequest(`query parameter format must be csv or ndjson, got '${format}'`);
    return format;
  }
  if (/ndjson|jsonl/.test(accept)) return 'ndjson';
  if (accept.includes('text/csv')) return 'csv';
  return fallback;
}

function deadlineOf(request: IncomingMessage, query: URLSearchParams, receivedAt: number): Deadline | undefined {
  const raw = query.get('deadline') ?? headerOf(request, 'x-deadline');
  const mode = query.get('on-deadline') ?? headerOf(request, 'x-on-deadline') ?? 'finish';
  if (mode !== 'finish' && mode !== 'abort') badRequest(`on-deadline must be finish or abort, got '${mode}'`);
  if (raw === undefined) return undefined;
  try {
    // From the request's arrival, as run's is from process start: the budget a scheduler sees.
    return { at: receivedAt + parseDuration('deadline', raw), mode };
  } catch (error) {
    if (error instanceof BatchInferError) badRequest(error.message);
    throw error;
  }
}

function headerOf(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function readScoreRequest(request: IncomingMessage, url: URL, defaultFormat: OutputFormat, receivedAt: number): ScoreRequestOptions {
  const accept = (request.headers.accept ?? '').toLowerCase();
  const encoding = (headerOf(request, 'content-encoding') ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') badRequest(`Content-Encoding ${encoding} is not supported: send identity or gzip`);
  const length = headerOf(request, 'content-length');
  return {
    inputFormat: inputFormatOf(request.headers['content-type']),
    outputFormat: outputFormatOf(accept, url.searchParams, defaultFormat),
    isEnvelope: accept.includes('application/json'),
    deadline: deadlineOf(request, url.searchParams, receivedAt),
    sizeBytes: encoding === 'identity' && length !== undefined ? Number(length) : undefined,
  };
}
