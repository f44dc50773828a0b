/**
 * A client for the Open Inference Protocol (KServe V2 REST): readiness, model metadata and inference, with JSON
 * tensors or the binary tensor data extension (`Inference-Header-Content-Length`). Transient failures
 * (connection refused or reset, timeouts, 5xx, 429) are retried with exponential backoff; every request has a
 * timeout; a bearer token is sent when given and never appears in a message.
 */

import type { TensorType, ValueSignature } from '../model/signature.js';
import { tensorArrayFromBytes, tensorArrayFromNumbers } from '../model/tensor-arrays.js';

export const BINARY_HEADER = 'Inference-Header-Content-Length';

const TO_V2: Record<TensorType, string> = { float32: 'FP32', float64: 'FP64', int64: 'INT64', int32: 'INT32' };
const FROM_V2: Record<string, TensorType> = { FP32: 'float32', FP64: 'float64', INT64: 'int64', INT32: 'int32' };

export interface RemoteSettings {
  endpoint: string;
  /** The model's name on the server. */
  modelName: string;
  token: string | undefined;
  timeoutMs: number;
  retries: number;
}

/** The server could not be reached, or kept failing, after every retry: the run cannot go on. */
export class RemoteUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemoteUnavailable';
  }
}

/** The server refused this request (4xx): the chunk's rows become rejects, the run goes on. */
export class RemoteRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemoteRejected';
  }
}

export interface RemoteTensor {
  name: string;
  type: TensorType;
  shape: number[];
  data: ArrayLike<number | bigint>;
}

export interface InferResult {
  outputs: Map<string, RemoteTensor>;
  /** Request start to response parsed, including every retry. */
  networkMs: number;
  /** The server's own figure (X-Server-Ms or X-Inference-Ms), when it sends one. */
  serverMs: number | undefined;
  attempts: number;
}

interface V2TensorJson {
  name: string;
  datatype: string;
  shape: number[];
  data?: (number | string)[];
  parameters?: { binary_data_size?: number };
}

function url(endpoint: string, path: string): string {
  return `${endpoint.replace(/\/+$/, '')}${path}`;
}

function isTransientStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

function describeFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
  if (cause?.code !== undefined) return cause.code;
  if (cause?.errors?.[0]?.code !== undefined) return cause.errors[0].code;
  if (cause?.message !== undefined) return cause.message;
  if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') return 'timed out';
  return (error as Error).message;
}

/** fetch with a timeout and backoff retries on transient failures. Returns the response of the last try. */
export async function requestWithRetries(settings: RemoteSettings, path: string, init: RequestInit = {}): Promise<{ response: Response; body: Buffer; attempts: number }> {
  const headers = new Headers(init.headers);
  if (settings.token !== undefined) headers.set('Authorization', `Bearer ${settings.token}`);
  let lastProblem = '';
  for (let attempt = 0; attempt <= settings.retries; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 200 * 2 ** (attempt - 1))));
    try {
      const response = await fetch(url(settings.endpoint, path), { ...init, headers, signal: AbortSignal.timeout(settings.timeoutMs) });
      const body = Buffer.from(await response.arrayBuffer());
      if (isTransientStatus(response.status)) {
        lastProblem = `HTTP ${response.status}`;
        continue;
      }
      return { response, body, attempts: attempt + 1 };
    } catch (error) {
      lastProblem = describeFailure(error);
    }
  }
  throw new RemoteUnavailable(`--endpoint ${settings.endpoint}: ${path}: ${lastProblem} after ${settings.retries + 1} tries`);
}

function errorText(body: Buffer): string {
  try {
    const json = JSON.parse(body.toString('utf8')) as { error?: string };
    return json.error ?? body.toString('utf8').slice(0, 200);
  } catch {
    return body.toString('utf8').slice(0, 200);
  }
}

export interface ServerInfo {
  extensions: string[];
}

/** GET /v2/health/ready, then GET /v2 for the server's extensions. */
/**
 * A V2 answer's JSON object, or a RemoteRejected naming what came instead: a proxy's or another server's HTML
 * page answered 200 at the wrong URL, and a JSON syntax error would say nothing useful.
 */
function parseJsonObject<T>(body: Buffer, response: Response, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    json = undefined;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    const type = response.headers.get('content-type') ?? 'no Content-Type';
    const start = body.toString('utf8', 0, Math.min(body.length, 60)).replace(/\s+/g, ' ').trim();
    throw new RemoteRejected(`${what}: the answer is not a JSON object (${type}: '${start}'); is this an Open Inference Protocol (KServe V2) server?`);
  }
  return json as T;
}

export async function checkReady(settings: RemoteSettings): Promise<ServerInfo> {
  const { response, body } = await requestWithRetries(settings, '/v2/health/ready');
  if (response.status !== 200) throw new RemoteUnavailable(`--endpoint ${settings.endpoint}: not ready (GET /v2/health/ready: HTTP ${response.status} ${errorText(body)})`);
  const server = await requestWithRetries(settings, '/v2');
  if (server.response.status !== 200) return { extensions: [] };
  const json = parseJsonObject<{ extensions?: string[] }>(server.body, server.response, `--endpoint ${settings.endpoint}: GET /v2`);
  return { extensions: json.extensions ?? [] };
}

export interface ModelMetadata {
  inputs: ValueSignature[];
  outputs: ValueSignature[];
  replicas: number | undefined;
}

/** GET /v2/models/{name}: inputs and outputs as signatures the manifest can be checked against. */
export async function fetchMetadata(settings: RemoteSettings): Promise<ModelMetadata> {
  const { response, body } = await requestWithRetries(settings, `/v2/models/${encodeURIComponent(settings.modelName)}`);
  if (response.status === 404) throw new RemoteRejected(`--endpoint ${settings.endpoint}: the server has no model '${settings.modelName}' (use --model-name or the manifest's model names)`);
  if (response.status !== 200) throw new RemoteRejected(`--endpoint ${settings.endpoint}: model '${settings.modelName}' metadata: HTTP ${response.status} ${errorText(body)}`);
  const what = `--endpoint ${settings.endpoint}: model '${settings.modelName}' metadata`;
  const json = parseJsonObject<{ inputs?: V2TensorJson[]; outputs?: V2TensorJson[]; parameters?: { replicas?: number } }>(body, response, what);
  if (!Array.isArray(json.inputs) || !Array.isArray(json.outputs)) throw new RemoteRejected(`${what}: the answer has no 'inputs' and 'outputs' lists`);
  const toSignature = (t: V2TensorJson): ValueSignature => ({
    name: t.name,
    type: FROM_V2[t.datatype] ?? t.datatype,
    shape: t.shape.map((d) => (d < 0 ? '' : d)),
  });
  return { inputs: (json.inputs ?? []).map(toSignature), outputs: (json.outputs ?? []).map(toSignature), replicas: json.parameters?.replicas };
}

/** POST /v2/models/{name}/infer with the given tensors; asks for the named outputs. */
export async function infer(
  settings: RemoteSettings,
  inputs: { name: string; type: TensorType; shape: number[]; data: ArrayLike<number | bigint> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number } }[],
  outputNames: string[],
  isBinary: boolean,
): Promise<InferResult> {
  const start = performance.now();
  let body: Buffer;
  const headers: Record<string, string> = {};
  if (isBinary) {
    const header = {
      inputs: inputs.map((t) => ({ name: t.name, shape: t.shape, datatype: TO_V2[t.type], parameters: { binary_data_size: t.data.byteLength } })),
      outputs: outputNames.map((name) => ({ name, parameters: { binary_data: true } })),
    };
    const json = Buffer.from(JSON.stringify(header));
    body = Buffer.concat([json, ...inputs.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))]);
    headers[BINARY_HEADER] = String(json.length);
    headers['Content-Type'] = 'application/octet-stream';
  } else {
    const json = {
      inputs: inputs.map((t) => ({ name: t.name, shape: t.shape, datatype: TO_V2[t.type], data: Array.from(t.data as ArrayLike<number>, (v) => (typeof v === 'bigint' ? Number(v) : v)) })),
      outputs: outputNames.map((name) => ({ name })),
    };
    body = Buffer.from(JSON.stringify(json));
    headers['Content-Type'] = 'application/json';
  }
  const path = `/v2/models/${encodeURIComponent(settings.modelName)}/infer`;
  const { response, body: reply, attempts } = await requestWithRetries(settings, path, { method: 'POST', headers, body });
  if (response.status !== 200) throw new RemoteRejected(`model '${settings.modelName}': HTTP ${response.status} ${errorText(reply)}`);
  const headerLength = response.headers.get(BINARY_HEADER);
  const jsonLength = headerLength === null ? reply.length : Number(headerLength);
  const parsed = parseJsonObject<{ outputs?: V2TensorJson[] }>(reply.subarray(0, jsonLength), response, `model '${settings.modelName}': POST ${path}`);
  if (!Array.isArray(parsed.outputs)) throw new RemoteRejected(`model '${settings.modelName}': POST ${path}: the answer has no 'outputs' list`);
  const outputs = new Map<string, RemoteTensor>();
  let offset = jsonLength;
  for (const tensor of parsed.outputs) {
    const type = FROM_V2[tensor.datatype];
    if (type === undefined) throw new RemoteRejected(`model '${settings.modelName}': output '${tensor.name}' has datatype ${tensor.datatype}, which batch-infer cannot write`);
    let data: ArrayLike<number | bigint>;
    const size = tensor.parameters?.binary_data_size;
    if (size !== undefined) {
      data = tensorArrayFromBytes(type, reply.subarray(offset, offset + size));
      offset += size;
    } else {
      data = tensorArrayFromNumbers(type, (tensor.data ?? []).map(Number));
    }
    outputs.set(tensor.name, { name: tensor.name, type, shape: tensor.shape, data });
  }
  const serverHeader = response.headers.get('X-Server-Ms') ?? response.headers.get('X-Inference-Ms');
  return { outputs, networkMs: performance.now() - start, serverMs: serverHeader === null ? undefined : Number(serverHeader), attempts };
}
