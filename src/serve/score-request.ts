/**
 * POST /v1/score: the request body is a snapshot as run reads it, scored through the same scoreSnapshot as
 * run; the response is the predictions as run writes them, byte for byte. The body is read as a stream (never
 * whole) and counted against the body limit; the response is held until the snapshot is done, so that the row
 * counts and timings go out as ordinary headers and a failure is an error status rather than a cut-off body.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SnapshotDefaults } from '../config/serve-options.js';
import { scoreSnapshot } from '../snapshot/score-snapshot.js';
import type { RunTiming } from '../snapshot/timing.js';
import type { Admission } from './admission.js';
import { openBufferSink, type BufferSink } from './buffer-sink.js';
import { HttpError } from './http-error.js';
import { readScoreRequest, type ScoreRequestOptions } from './request-options.js';
import type { ServePool } from './serve-pool.js';

export interface ScoreContext {
  pool: ServePool;
  admission: Admission;
  snapshot: SnapshotDefaults;
  maxBodyBytes: number;
  /** Aborted when the server must stop requests under way (the shutdown grace ran out). */
  stopping: AbortSignal;
}

/** What the request log and the metrics learn of a scored request. */
export interface ScoreOutcome {
  timing: RunTiming | undefined;
  queueMs: number;
  bytesIn: number;
}

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson' } as const;

/** Waits until the body has more to read, or ends; throws if the client went away first. */
function nextReadable(request: IncomingMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error): void => {
      request.off('readable', onReadable).off('end', onReadable).off('error', done).off('close', onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onReadable = (): void => done();
    const onClose = (): void => done(request.readableEnded ? undefined : new Error('the client closed the connection before the body ended'));
    request.on('readable', onReadable).on('end', onReadable).on('error', done).on('close', onClose);
  });
}

/**
 * The body as a stream of bytes, refused with 413 once it passes the limit. Not the stream's own iterator:
 * leaving that early (a deadline in 'abort' mode stops reading) destroys the socket the response must go out on;
 * here the unread rest is drained and thrown away instead.
 */
async function* limitedBody(request: IncomingMessage, maxBytes: number, counted: { bytes: number }): AsyncGenerator<Uint8Array> {
  let isEnded = false;
  try {
    for (;;) {
      const piece = request.read() as Buffer | null;
      if (piece === null) {
        if (request.readableEnded) break;
        if (request.destroyed) throw new Error('the client closed the connection before the body ended');
        await nextReadable(request);
        continue;
      }
      counted.bytes += piece.length;
      if (counted.bytes > maxBytes) throw new HttpError(413, 'BODY_TOO_LARGE', `the request body passed the limit of ${maxBytes} bytes (--max-body-bytes)`);
      yield piece;
    }
    isEnded = true;
  } finally {
    if (!isEnded && counted.bytes <= maxBytes) request.resume();
  }
}

export async function scoreRequest(request: IncomingMessage, response: ServerResponse, url: URL, context: ScoreContext): Promise<ScoreOutcome> {
  const receivedAt = performance.now();
  const length = Number(request.headers['content-length'] ?? 0);
  if (length > context.maxBodyBytes) throw new HttpError(413, 'BODY_TOO_LARGE', `Content-Length ${length} is over the limit of ${context.maxBodyBytes} bytes (--max-body-bytes)`);
  const asked = readScoreRequest(request, url, context.snapshot.outputFormat, receivedAt);
  const controller = new AbortController();
  // A client that goes away stops its snapshot: no more of its chunks go to the pool.
  const onClose = (): void => {
    if (!response.writableFinished) controller.abort('client-disconnected');
  };
  response.on('close', onClose);
  const onStopping = (): void => controller.abort('SIGTERM');
  context.stopping.addEventListener('abort', onStopping, { once: true });
  const counted = { bytes: 0 };
  let leave: (() => void) | undefined;
  try {
    leave = await context.admission.enter(controller.signal);
    const queueMs = performance.now() - receivedAt;
    const timing = await scoreBody(request, asked, context, controller.signal, counted, (t, sinks) => respond(response, asked, t, sinks, queueMs));
    return { timing, queueMs, bytesIn: counted.bytes };
  } catch (error) {
    // A 413 raised while reading surfaces as whatever the pipeline made of the failed read: the limit decides.
    if (counted.bytes > context.maxBodyBytes) throw new HttpError(413, 'BODY_TOO_LARGE', `the request body passed the limit of ${context.maxBodyBytes} bytes (--max-body-bytes)`);
    if (controller.signal.reason === 'SIGTERM') throw new HttpError(503, 'SHUTTING_DOWN', 'the server is shutting down; the snapshot was not scored', { 'Retry-After': '1' });
    throw error;
  } finally {
    leave?.();
    response.off('close', onClose);
    context.stopping.removeEventListener('abort', onStopping);
  }
}

type Respond = (timing: RunTiming, sinks: { output: BufferSink; rejects: BufferSink }) => void;

async function scoreBody(request: IncomingMessage, asked: ScoreRequestOptions, context: ScoreContext, signal: AbortSignal, counted: { bytes: number }, respond: Respond): Promise<RunTiming> {
  const lease = context.pool.lease();
  try {
    const output = openBufferSink();
    const rejects = openBufferSink();
    const timing = await scoreSnapshot(lease.handle, {
      ...context.snapshot,
      input: { path: 'request body', format: asked.inputFormat, source: limitedBody(request, context.maxBodyBytes, counted), ...(asked.sizeBytes === undefined ? {} : { sizeBytes: asked.sizeBytes }) },
      output,
      rejects,
      outputFormat: asked.outputFormat,
      warmUp: context.snapshot.warmUp && lease.isFirstUse,
      deadline: asked.deadline,
      signal,
    });
    respond(timing, { output, rejects });
    return timing;
  } finally {
    lease.release();
  }
}

/** Server-Timing: the phases of this snapshot, and inference per model (summed over the workers). */
function serverTiming(timing: RunTiming, queueMs: number): string {
  const phases: [string, number][] = [
    ['queue', queueMs],
    ['warm-up', timing.warmUpMs],
    ['score', timing.parallelMs],
    ['parse', timing.parseMs],
    ['infer', timing.inferMs],
    ...Object.entries(timing.inferMsByModel ?? {}).map(([model, ms]): [string, number] => [`infer-${model.replace(/[^\w.-]/g, '_')}`, ms]),
    ['total', timing.snapshotMs + queueMs],
  ];
  return phases.map(([name, ms]) => `${name};dur=${ms.toFixed(1)}`).join(', ');
}

function respond(response: ServerResponse, asked: ScoreRequestOptions, timing: RunTiming, sinks: { output: BufferSink; rejects: BufferSink }, queueMs: number): void {
  const headers: Record<string, string | number> = {
    'X-Rows-In': timing.rows,
    'X-Rows-Out': timing.rowsOut,
    'X-Rows-Rejected': timing.rowsRejected,
    'Server-Timing': serverTiming(timing, queueMs),
  };
  if (timing.deadlineExceeded !== undefined) headers['X-Deadline-Exceeded'] = String(timing.deadlineExceeded);
  if (asked.isEnvelope) {
    const text = (sink: BufferSink): string => Buffer.concat(sink.parts(), sink.byteLength()).toString('utf8');
    const envelope = { rowsIn: timing.rows, rowsOut: timing.rowsOut, rowsRejected: timing.rowsRejected, format: asked.outputFormat, predictions: text(sinks.output), rejects: text(sinks.rejects) };
    const body = Buffer.from(`${JSON.stringify(envelope)}\n`);
    response.writeHead(200, { ...headers, 'Content-Type': 'application/json', 'Content-Length': body.length });
    response.end(body);
    return;
  }
  response.writeHead(200, { ...headers, 'Content-Type': CONTENT_TYPES[asked.outputFormat], 'Content-Length': sinks.output.byteLength() });
  // Corked: the head and every part leave in one writev, as one end(body) would, without joining them first.
  response.cork();
  for (const part of sinks.output.parts()) response.write(part);
  response.end();
}
