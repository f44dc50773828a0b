/**
 * `batch-infer serve` as a library: one process, one pool loaded once, snapshots scored over HTTP. Listens at
 * once (the health probes answer while the workers load), reloads on request, and stops in one order: stop
 * accepting, let requests under way finish within a grace, stop those left, then destroy the pool.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServeSettings } from '../config/serve-options.js';
import { resolveEngines } from '../model/choose-engine.js';
import type { Manifest } from '../model/manifest.js';
import { startPool } from '../snapshot/start-pool.js';
import { Admission } from './admission.js';
import { BatchInferError } from '../errors.js';
import { HttpError, httpErrorOf, sendError } from './http-error.js';
import { routeRequest, type RouteContext, type Routed } from './routes.js';
import { ServeMetrics } from './serve-metrics.js';
import { ServePool } from './serve-pool.js';

/** After the grace, how long requests whose chunks were given up get to answer before their connections are cut. */
const STOP_WAIT_MS = 5_000;

/** One line per request, for --log-format json. */
export interface RequestRecord {
  method: string;
  path: string;
  route: string;
  status: number;
  ms: number;
  bytesIn?: number;
  rowsIn?: number;
  rowsOut?: number;
  rowsRejected?: number;
  retries?: number;
  queueMs?: number;
  error?: string;
}

export interface ServeHooks {
  onRequest?: (record: RequestRecord) => void;
  /** Reload and pool events: 'ready', 'reloaded', 'reload-failed'. */
  onEvent?: (name: string, fields: Record<string, unknown>) => void;
  /** Where a reload reads the manifest from; by default the one the server started with is reused. */
  loadManifest?: () => Manifest;
}

export interface ServeServer {
  /** http://host:port as bound (port 0 becomes the port given by the system). */
  readonly url: string;
  readonly server: Server;
  /** Settles when every worker has loaded its models (rejects if they could not). */
  readonly ready: Promise<void>;
  /** Loads the models into a new pool and switches to it; requests under way finish on the old one. */
  reload(): Promise<void>;
  /** Stops accepting, waits up to `graceMs` for requests under way, stops the rest, destroys the pool. */
  close(graceMs?: number): Promise<void>;
}

export async function startServer(settings: ServeSettings, hooks: ServeHooks = {}): Promise<ServeServer> {
  let manifest = settings.manifest;
  // The engines are decided for every pool: a reload may bring new model files (a proof is cached per model).
  const notice = (message: string): void => hooks.onEvent?.('notice', { message });
  const startScoring = async (): Promise<Awaited<ReturnType<typeof startPool>>> => startPool(await resolveEngines(manifest, settings.engine ?? 'onnxruntime', notice), settings.workers, settings.isolation);
  const pool = new ServePool(startScoring, settings.workers);
  const admission = new Admission(settings.maxActive, settings.maxQueue);
  const metrics = new ServeMetrics({ waiting: () => admission.waiting, active: () => admission.active, isReady: () => pool.isReady });
  const stopping = new AbortController();
  const context: RouteContext = { pool, admission, snapshot: settings.snapshot, maxBodyBytes: settings.maxBodyBytes, stopping: stopping.signal, token: settings.token, metrics };
  const inFlight = new Set<Promise<void>>();
  let isClosing = false;
  const server = createServer((request, response) => {
    const handling = handle(request, response, context, isClosing, metrics, hooks);
    inFlight.add(handling);
    void handling.finally(() => inFlight.delete(handling));
  });
  // Slow or idle clients must not hold a connection for ever.
  server.requestTimeout = 300_000;
  server.headersTimeout = 30_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(settings.port, settings.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // The pool started loading beside the listener: without a server it must not keep the process alive.
    await pool.ready.catch(() => undefined);
    await pool.close();
    throw listenError(error as NodeJS.ErrnoException, settings.host, settings.port);
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  void pool.ready.then(() => hooks.onEvent?.('ready', { workers: settings.workers }), () => undefined);
  return {
    url: `http://${host}:${address.port}`,
    server,
    ready: pool.ready,
    async reload() {
      try {
        if (hooks.loadManifest !== undefined) manifest = hooks.loadManifest();
        await pool.reload();
        metrics.observeReload(true);
        hooks.onEvent?.('reloaded', { workers: settings.workers });
      } catch (error) {
        metrics.observeReload(false);
        hooks.onEvent?.('reload-failed', { message: (error as Error).message });
        throw error;
      }
    },
    async close(graceMs = settings.shutdownGraceMs) {
      isClosing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([Promise.allSettled([...inFlight]), grace]);
      clearTimeout(timer);
      // Past the grace: requests left stop taking chunks and answer 503. Their chunks on a worker are given up
      // (a hung worker would otherwise hold the exit for ever); one inside onnxruntime gets STOP_WAIT_MS to return.
      stopping.abort('SIGTERM');
      pool.abandonRunning('the server is shutting down');
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())]);
      server.closeAllConnections();
      await closed;
      await pool.ready.catch(() => undefined);
      await pool.close();
    },
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, context: RouteContext, isClosing: boolean, metrics: ServeMetrics, hooks: ServeHooks): Promise<void> {
  const start = performance.now();
  const routed: Routed = { route: 'unknown' };
  let failure: HttpError | undefined;
  try {
    // A request on a kept-alive connection after shutdown began: refused, and the connection closed.
    if (isClosing) throw new HttpError(503, 'SHUTTING_DOWN', 'the server is shutting down', { 'Retry-After': '1' });
    await routeRequest(request, response, context, routed);
  } catch (error) {
    failure = httpErrorOf(error);
    if (!response.destroyed) sendError(request, response, failure, routed.route.startsWith('v2'));
  }
  const status = response.destroyed && !response.writableFinished ? 499 : (failure?.status ?? response.statusCode);
  const seconds = (performance.now() - start) / 1000;
  metrics.observeRequest(routed.route, status, seconds);
  const timing = routed.outcome?.timing;
  if (timing !== undefined) metrics.observeSnapshot(timing);
  hooks.onRequest?.({
    method: request.method ?? '?',
    path: new URL(request.url ?? '/', 'http://localhost').pathname,
    route: routed.route,
    status,
    ms: Math.round(seconds * 10_000) / 10,
    ...(routed.outcome === undefined ? {} : { bytesIn: routed.outcome.bytesIn, queueMs: Math.round(routed.outcome.queueMs * 10) / 10 }),
    ...(timing === undefined ? {} : { rowsIn: timing.rows, rowsOut: timing.rowsOut, rowsRejected: timing.rowsRejected, retries: timing.retries }),
    ...(failure === undefined ? {} : { error: failure.message }),
  });
}

/** A socket that cannot be bound is the operator's to fix: one line naming the address, not an internal error. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const why: Record<string, string> = {
    EADDRINUSE: 'the address is in use (another process listens there)',
    EACCES: 'permission denied (a port below 1024 needs privileges)',
    EADDRNOTAVAIL: 'the host is not an address of this machine',
    ENOTFOUND: 'the host name does not resolve',
  };
  const reason = why[error.code ?? ''];
  if (reason === undefined) return error;
  return new BatchInferError('LISTEN_FAILED', `--host ${host} --port ${port}: cannot listen: ${reason}`, { cause: error });
}
