/**
 * A client for the Open Inference Protocol (KServe V2 REST): readiness, model metadata and inference, with JSON
 * tensors or the binary tensor data extension (`Inference-Header-Content-Length`). Transient failures are
 * retried (see requestWithRetries), a refused connection after the server is ready again; every request has a
 * timeout and an id; a bearer token is sent when given and never appears in a message.
 */

import type { TensorType } from '../model/signature.js';
import type { TensorArray } from '../model/tensor-arrays.js';
import { decodeTensor, TO_V2 } from './v2-datatypes.js';

export const BINARY_HEADER = 'Inference-Header-Content-Length';
const READY_PATH = '/v2/health/ready';
/** Connection failures of a server going away or restarting: worth waiting for it to be ready again. */
const RESTARTING = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export interface RemoteSettings {
  endpoint: string;
  /** The model's name on the server. */
  modelName: string;
  token: string | undefined;
  timeoutMs: number;
  retries: number;
  /** Counts the extra tries of every request made with these settings. */
  stats?: { retries: number };
}

/** The server could not be reached after every retry (and did not come back ready): the run cannot go on. */
export class RemoteUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemoteUnavailable';
  }
}

/** The server refused this request (4xx, or 5xx and timeouts after every retry): the chunk's rows become rejects. */
export class RemoteRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemoteRejected';
  }
}

/** The server accepted the connection but did not answer in time, after every retry. */
export class RemoteTimedOut extends RemoteRejected {
  constructor(message: string) {
    super(message);
    this.name = 'RemoteTimedOut';
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

function failureCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
  return cause?.code ?? cause?.errors?.[0]?.code;
}

function describeFailure(error: unknown): string {
  const code = failureCode(error);
  if (code !== undefined) return code;
  const cause = (error as { cause?: { message?: string } }).cause;
  if (cause?.message !== undefined) return cause.message;
  if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') return 'timed out';
  return (error as Error).message;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * After a refused or reset connection (a server restarting): polls GET /v2/health/ready until it answers 200,
 * for at most the request timeout. Whether it came back.
 */
async function waitUntilReady(settings: RemoteSettings, headers: Headers): Promise<boolean> {
  const until = performance.now() + settings.timeoutMs;
  for (let left = settings.timeoutMs; left > 0; left = until - performance.now()) {
    try {
      const response = await fetch(url(settings.endpoint, READY_PATH), { headers, signal: AbortSignal.timeout(Math.max(1, Math.min(left, 2000))) });
      await response.arrayBuffer();
      if (response.status === 200) return true;
    } catch {
      // Not back yet.
    }
    await sleep(Math.min(200, Math.max(0, until - performance.now())));
  }
  return false;
}

/**
 * fetch with a timeout and retries on transient failures: backoff after a 5xx, 429 or timeout; after a refused
 * or reset connection, a wait for the server to be ready again. Returns the last answer when the server kept
 * answering with an error; throws RemoteTimedOut when it kept timing out, RemoteUnavailable when it could not be
 * reached.
 */
export async function requestWithRetries(settings: RemoteSettings, path: string, init: RequestInit = {}): Promise<{ response: Response; body: Buffer; attempts: number }> {
  const headers = new Headers(init.headers);
  if (settings.token !== undefined) headers.set('Authorization', `Bearer ${settings.token}`);
  let lastProblem = '';
  let last: { response: Response; body: Buffer } | undefined;
  let isTimedOut = false;
  let isRestarting = false;
  for (let attempt = 0; attempt <= settings.retries; attempt++) {
    if (attempt > 0) {
      if (settings.stats !== undefined) settings.stats.retries++;
      // Readiness is the one path that cannot wait for itself.
      if (!isRestarting || path === READY_PATH || !(await waitUntilReady(settings, headers))) await sleep(Math.min(5000, 200 * 2 ** (attempt - 1)));
    }
    try {
      const response = await fetch(url(settings.endpoint, path), { ...init, headers, signal: AbortSignal.timeout(settings.timeoutMs) });
      const body = Buffer.from(await response.arrayBuffer());
      if (!isTransientStatus(response.status)) return { response, body, attempts: attempt + 1 };
      last = { response, body };
      lastProblem = `HTTP ${response.status}`;
      isTimedOut = false;
      isRestarting = false;
    } catch (error) {
      lastProblem = describeFailure(error);
      isTimedOut = lastProblem === 'timed out';
      isRestarting = RESTARTING.has(failureCode(error) ?? '');
      // The last try decides: a server that answered before but now cannot be reached is not there.
      last = undefined;
    }
  }
  if (last !== undefined) return { ...last, attempts: settings.retries + 1 };
  const message = `--endpoint ${settings.endpoint}: ${path}: ${lastProblem} after ${settings.retries + 1} tries`;
  throw isTimedOut ? new RemoteTimedOut(message) : new RemoteUnavailable(message);
}

/**
 * The server's reason for an error answer, as one line of at most 200 bytes: a JSON body's `error`, an HTML
 * page's title or text (a proxy's error page), or the body's start.
 */
export function errorText(body: Buffer): string {
  let text = body.toString('utf8', 0, Math.min(body.length, 64 * 1024));
  try {
    const json = JSON.parse(text) as { error?: unknown; detail?: unknown };
    const reason = json.error ?? json.detail;
    if (reason !== undefined) text = typeof reason === 'string' ? reason : JSON.stringify(reason);
  } catch {
    if (/^\s*</.test(text)) {
      const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text)?.[1];
      const bodyText = text.replace(/<(script|style|head)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ');
      text = title !== undefined && title.trim() !== '' ? title : bodyText;
      text = text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
    }
  }
  text = text.replace(/\s+/g, ' ').trim();
  const bytes = Buffer.from(text);
  // Cut at 200 bytes, and back to a whole character.
  return bytes.length <= 200 ? text : bytes.subarray(0, 200).toString('utf8').replace(/\uFFFD$/, '');
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

/** A tensor as the server describes it: its own name and datatype. */
export interface V2Value {
  name: string;
  datatype: string;
  shape: (number | string)[];
}

export interface ModelMetadata {
  inputs: V2Value[];
  outputs: V2Value[];
  replicas: number | undefined;
}

/** GET /v2/models/{name}: the server's inputs and outputs, in its names and datatypes. */
export async function fetchMetadata(settings: RemoteSettings): Promise<ModelMetadata> {
  const { response, body } = await requestWithRetries(settings, `/v2/models/${encodeURIComponent(settings.modelName)}`);
  if (response.status === 404) throw new RemoteRejected(`--endpoint ${settings.endpoint}: the server has no model '${settings.modelName}' (use --model-name or the manifest's model names)`);
  if (response.status !== 200) throw new RemoteRejected(`--endpoint ${settings.endpoint}: model '${settings.modelName}' metadata: HTTP ${response.status} ${errorText(body)}`);
  const what = `--endpoint ${settings.endpoint}: model '${settings.modelName}' metadata`;
  const json = parseJsonObject<{ inputs?: V2TensorJson[]; outputs?: V2TensorJson[]; parameters?: { replicas?: number } }>(body, response, what);
  if (!Array.isArray(json.inputs) || !Array.isArray(json.outputs)) throw new RemoteRejected(`${what}: the answer has no 'inputs' and 'outputs' lists`);
  const toValue = (t: V2TensorJson): V2Value => ({ name: t.name, datatype: t.datatype, shape: (t.shape ?? []).map((d) => (d < 0 ? '' : d)) });
  return { inputs: json.inputs.map(toValue), outputs: json.outputs.map(toValue), replicas: json.parameters?.replicas };
}

export interface InferInput {
  /** The server's name for it. */
  name: string;
  type: TensorType;
  shape: number[];
  data: ArrayLike<number | bigint> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
}

/** An output to ask for: the server's name, and the type its values are converted to. */
export interface InferOutput {
  name: string;
  type: TensorType;
}

function encodeRequest(id: string, inputs: InferInput[], outputs: InferOutput[], isBinary: boolean): { body: Buffer; headers: Record<string, string> } {
  if (isBinary) {
    const header = {
      id,
      inputs: inputs.map((t) => ({ name: t.name, shape: t.shape, datatype: TO_V2[t.type], parameters: { binary_data_size: t.data.byteLength } })),
      outputs: outputs.map((o) => ({ name: o.name, parameters: { binary_data: true } })),
    };
    const json = Buffer.from(JSON.stringify(header));
    const body = Buffer.concat([json, ...inputs.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))]);
    return { body, headers: { [BINARY_HEADER]: String(json.length), 'Content-Type': 'application/octet-stream' } };
  }
  const json = {
    id,
    inputs: inputs.map((t) => ({ name: t.name, shape: t.shape, datatype: TO_V2[t.type], data: Array.from(t.data as ArrayLike<number>, (v) => (typeof v === 'bigint' ? Number(v) : v)) })),
    outputs: outputs.map((o) => ({ name: o.name })),
  };
  return { body: Buffer.from(JSON.stringify(json)), headers: { 'Content-Type': 'application/json' } };
}

/** POST /v2/models/{name}/infer with the given tensors and request id; asks for the named outputs. */
export async function infer(settings: RemoteSettings, id: string, inputs: InferInput[], outputs: InferOutput[], isBinary: boolean): Promise<InferResult> {
  const start = performance.now();
  const { body, headers } = encodeRequest(id, inputs, outputs, isBinary);
  const path = `/v2/models/${encodeURIComponent(settings.modelName)}/infer`;
  const what = `model '${settings.modelName}'`;
  const { response, body: reply, attempts } = await requestWithRetries(settings, path, { method: 'POST', headers, body });
  if (response.status !== 200) throw new RemoteRejected(`${what}: HTTP ${response.status}${attempts > 1 ? ` after ${attempts} tries` : ''}: ${errorText(reply)}`);
  const headerLength = response.headers.get(BINARY_HEADER);
  const jsonLength = headerLength === null ? reply.length : Number(headerLength);
  const parsed = parseJsonObject<{ id?: unknown; outputs?: V2TensorJson[] }>(reply.subarray(0, jsonLength), response, `${what}: POST ${path}`);
  if (parsed.id !== undefined && parsed.id !== id) throw new RemoteRejected(`${what}: POST ${path}: the answer is for request '${String(parsed.id)}', not '${id}'`);
  if (!Array.isArray(parsed.outputs)) throw new RemoteRejected(`${what}: POST ${path}: the answer has no 'outputs' list`);
  const decoded = new Map<string, RemoteTensor>();
  let offset = jsonLength;
  for (const tensor of parsed.outputs) {
    const wanted = outputs.find((o) => o.name === tensor.name);
    const size = tensor.parameters?.binary_data_size;
    const bytes = size === undefined ? undefined : reply.subarray(offset, offset + size);
    if (size !== undefined) offset += size;
    if (wanted === undefined) continue;
    let data: TensorArray;
    try {
      data = decodeTensor(tensor.datatype, wanted.type, bytes, tensor.data);
    } catch (error) {
      throw new RemoteRejected(`${what}: output '${tensor.name}': ${(error as Error).message}`);
    }
    decoded.set(tensor.name, { name: tensor.name, type: wanted.type, shape: tensor.shape, data });
  }
  const serverHeader = response.headers.get('X-Server-Ms') ?? response.headers.get('X-Inference-Ms');
  return { outputs: decoded, networkMs: performance.now() - start, serverMs: serverHeader === null ? undefined : Number(serverHeader), attempts };
}
