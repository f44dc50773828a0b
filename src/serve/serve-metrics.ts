/**
 * GET /metrics: the server's figures in the Prometheus text format, from its own registry (an embedding service
 * keeps its default registry to itself).
 */

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunTiming } from '../snapshot/timing.js';

export interface ServeGauges {
  waiting: () => number;
  active: () => number;
  isReady: () => boolean;
}

export class ServeMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'route' | 'status'>;
  readonly #latency: Histogram<'route'>;
  readonly #rows: Counter<'outcome'>;
  readonly #retries: Counter;
  readonly #chunksFailed: Counter;
  readonly #reloads: Counter<'result'>;
  readonly #inferSeconds: Counter<'model'>;

  constructor(gauges: ServeGauges) {
    const registers = [this.registry];
    this.#requests = new Counter({ name: 'batch_infer_serve_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers });
    this.#latency = new Histogram({
      name: 'batch_infer_serve_request_duration_seconds',
      help: 'Request time from arrival to the last byte sent',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#rows = new Counter({ name: 'batch_infer_serve_rows_total', help: "Rows by outcome: 'in' (read), 'out' (scored), 'rejected'", labelNames: ['outcome'], registers });
    this.#retries = new Counter({ name: 'batch_infer_serve_chunk_retries_total', help: 'Chunks tried again after their worker failed (the worker is replaced)', registers });
    this.#chunksFailed = new Counter({ name: 'batch_infer_serve_chunks_failed_total', help: 'Chunks that failed every try (their rows are rejects)', registers });
    this.#reloads = new Counter({ name: 'batch_infer_serve_pool_reloads_total', help: "Pool reloads (SIGHUP) by result: 'ok' or 'failed'", labelNames: ['result'], registers });
    this.#inferSeconds = new Counter({ name: 'batch_infer_serve_infer_seconds_total', help: 'Inference time per model, summed over the workers', labelNames: ['model'], registers });
    new Gauge({ name: 'batch_infer_serve_queue_depth', help: 'Requests waiting for a turn', registers, collect: setTo(gauges.waiting) });
    new Gauge({ name: 'batch_infer_serve_active_requests', help: 'Snapshots being scored', registers, collect: setTo(gauges.active) });
    new Gauge({ name: 'batch_infer_serve_ready', help: '1 when every worker has loaded its models', registers, collect: setTo(() => Number(gauges.isReady())) });
  }

  observeRequest(route: string, status: number, seconds: number): void {
    this.#requests.inc({ route, status: String(status) });
    this.#latency.observe({ route }, seconds);
  }

  observeSnapshot(timing: RunTiming): void {
    this.#rows.inc({ outcome: 'in' }, timing.rows);
    this.#rows.inc({ outcome: 'out' }, timing.rowsOut);
    this.#rows.inc({ outcome: 'rejected' }, timing.rowsRejected);
    this.#retries.inc(timing.retries);
    this.#chunksFailed.inc(timing.chunksFailed);
    for (const [model, ms] of Object.entries(timing.inferMsByModel ?? {})) this.#inferSeconds.inc({ model }, ms / 1000);
  }

  observeReload(isOk: boolean): void {
    this.#reloads.inc({ result: isOk ? 'ok' : 'failed' });
  }
}

function setTo(read: () => number): (this: Gauge) => void {
  return function collect(this: Gauge) {
    this.set(read());
  };
}
