/**
 * The rest of the Open Inference Protocol (KServe V2 REST) beside the health probes: server and model metadata,
 * model readiness, and infer, which runs one model on the pool's workers. Names are the manifest's model names,
 * so that `run --endpoint` against this server finds every model of the same manifest.
 */

import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ModelSignature } from '../model/signature.js';
import type { Inferred } from '../pool/messages.js';
import { WorkerLost, type ScoringPool } from '../pool/scoring-pool.js';
import type { Admission } from './admission.js';
import { HttpError } from './http-error.js';
import { allowMethod, sendJson } from './http-replies.js';
import type { ServePool } from './serve-pool.js';
import { BINARY_HEADER, formatInferResponse, readInferRequest, TO_V2 } from './v2-tensors.js';

export interface V2Context {
  pool: ServePool;
  admission: Admission;
  maxBodyBytes: number;
  chunkTimeoutMs: number | undefined;
  /** Further tries of an infer whose worker was lost (--retries, as for a chunk). */
  retries: number;
  /** Aborted when the server must stop requests under way (the shutdown grace ran out). */
  stopping: AbortSignal;
}

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The model's signature once the pool is ready; 503 before, 404 for a name the manifest does not have. */
async function findModel(context: V2Context, name: string): Promise<ModelSignature> {
  if (!context.pool.isReady) throw new HttpError(503, 'NOT_READY', 'the models are still loading', { 'Retry-After': '1' });
  const lease = context.pool.lease();
  try {
    const { started } = await lease.scoring;
    return started.signatures.find((s) => s.name === name) ?? notFound(name);
  } finally {
    lease.release();
  }
}

function notFound(name: string): never {
  throw new HttpError(404, 'MODEL_NOT_FOUND', `no model '${name}' (the manifest's model names are served)`);
}

/** V2 shapes are numbers: a symbolic dimension ('N', a batch) is -1. */
function tensorMetadata(values: ModelSignature['inputs']): { name: string; datatype: string; shape: number[] }[] {
  return values.map((v) => ({ name: v.name, datatype: TO_V2[v.type as keyof typeof TO_V2] ?? v.type.toUpperCase(), shape: v.shape.map((d) => (typeof d === 'number' ? d : -1)) }));
}

/** Answers a /v2 path; returns the route name for the metrics, or undefined when the path is not one of these. */
export async function routeV2(request: IncomingMessage, response: ServerResponse, path: string, context: V2Context): Promise<string | undefined> {
  if (path === '/v2') {
    allowMethod(request, 'GET');
    sendJson(response, 200, { name: 'batch-infer', version: VERSION, extensions: ['binary_tensor_data'] });
    return 'v2';
  }
  const match = /^\/v2\/models\/([^/]+)(\/ready|\/infer)?$/.exec(path);
  if (match === null) return undefined;
  const name = decodeURIComponent(match[1]!);
  if (match[2] === undefined) {
    allowMethod(request, 'GET');
    const model = await findModel(context, name);
    sendJson(response, 200, { name, versions: ['1'], platform: 'onnxruntime_onnx', inputs: tensorMetadata(model.inputs), outputs: tensorMetadata(model.outputs), parameters: { replicas: context.pool.workers } });
    return 'v2-model';
  }
  if (match[2] === '/ready') {
    allowMethod(request, 'GET');
    const model = await findModel(context, name).catch((error: unknown) => (error instanceof HttpError && error.status === 503 ? undefined : Promise.reject(error)));
    sendJson(response, model === undefined ? 503 : 200, { name, ready: model !== undefined });
    return 'v2-model-ready';
  }
  allowMethod(request, 'POST');
  await infer(request, response, name, context);
  return 'v2-infer';
}

async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const piece of request as AsyncIterable<Buffer>) {
    length += piece.length;
    if (length > maxBytes) throw new HttpError(413, 'BODY_TOO_LARGE', `the request body passed the limit of ${maxBytes} bytes (--max-body-bytes)`);
    parts.push(piece);
  }
  return Buffer.concat(parts);
}

async function infer(request: IncomingMessage, response: ServerResponse, name: string, context: V2Context): Promise<void> {
  await findModel(context, name);
  const controller = new AbortController();
  const leave = await context.admission.enter(controller.signal);
  const lease = context.pool.lease();
  try {
    const header = request.headers[BINARY_HEADER.toLowerCase()];
    const asked = readInferRequest(await readBody(request, context.maxBodyBytes), Array.isArray(header) ? header[0] : header);
    const { pool } = await lease.scoring;
    const start = performance.now();
    const result = await inferWithRetries(pool, name, asked, context);
    const { body, headerLength } = formatInferResponse(name, asked, result.outputs);
    const headers: Record<string, string | number> = { 'Content-Length': body.length, 'X-Server-Ms': (performance.now() - start).toFixed(2) };
    if (headerLength === undefined) headers['Content-Type'] = 'application/json';
    else Object.assign(headers, { 'Content-Type': 'application/octet-stream', [BINARY_HEADER]: headerLength });
    response.writeHead(200, headers);
    response.end(body);
  } finally {
    lease.release();
    leave();
  }
}

/**
 * Runs the infer, tried again on a replacement worker (up to --retries times, as a chunk is) when its worker was
 * lost: it exited, crashed or passed --chunk-timeout. Each try sends its own copy of the inputs, since a try moves
 * them to its worker.
 */
async function inferWithRetries(pool: ScoringPool, name: string, asked: ReturnType<typeof readInferRequest>, context: V2Context): Promise<Inferred> {
  for (let attempt = 0; ; attempt++) {
    const inputs = attempt < context.retries ? asked.inputs.map((input) => ({ ...input, data: input.data.slice() })) : asked.inputs;
    try {
      return await pool.infer({ model: name, inputs, outputs: asked.outputs, attempt }, context.chunkTimeoutMs);
    } catch (error) {
      if (!(error instanceof WorkerLost) || attempt >= context.retries || context.stopping.aborted) throw inferError(name, error, context.stopping);
    }
  }
}

/**
 * A lost worker (exited, crashed, passed --chunk-timeout; it is replaced) on the last try is a 503 a client
 * retries; a failure on a live worker is the request's (400).
 */
function inferError(name: string, error: unknown, stopping: AbortSignal): HttpError {
  const message = `model '${name}': ${(error as Error).message}`;
  if (stopping.aborted) return new HttpError(503, 'SHUTTING_DOWN', 'the server is shutting down; the request was not answered', { 'Retry-After': '1' });
  if (error instanceof WorkerLost) return new HttpError(503, 'WORKER_FAILED', message, { 'Retry-After': '1' });
  return new HttpError(400, 'INFER_FAILED', message);
}
