/**
 * A seeded generator of per-minute APM transaction snapshots: the shape a monitoring system exports
 * (minute, target, transaction, and a dozen numeric metrics). The same seed always gives the same bytes,
 * so fixtures, benchmarks and the Python model scripts can all regenerate identical data of any size.
 */

export const APM_ID_COLUMNS = ['minute', 'target_id', 'transaction'] as const;

export const APM_METRIC_COLUMNS = [
  'tps',
  'elapsed_avg_ms',
  'elapsed_max_ms',
  'cpu_time_ms',
  'sql_count',
  'sql_time_ms',
  'fetch_count',
  'fetch_time_ms',
  'error_count',
  'active_threads',
  'remote_call_count',
  'remote_call_time_ms',
  'gc_time_ms',
  'heap_used_mb',
] as const;

export const APM_COLUMNS: readonly string[] = [...APM_ID_COLUMNS, ...APM_METRIC_COLUMNS];

// Some names carry commas and quotes on purpose: real exports do, and they exercise RFC 4180 quoting.
const TRANSACTIONS = [
  '/api/orders',
  '/api/orders/{id}',
  '/api/cart/checkout',
  '/api/search?q=*',
  'GET /catalog, page',
  'POST /payments',
  'batch: "nightly" reconcile',
  '/login',
  '/api/inventory/sync',
  '/health',
] as const;

export interface SnapshotOptions {
  rows: number;
  seed?: number;
  /** Targets (monitored servers) per minute. */
  targets?: number;
  /** Share of rows made anomalous (slow, erroring). */
  anomalyRate?: number;
  startMinute?: Date;
}

/** mulberry32: tiny, fast and good enough for synthetic data; the point is reproducibility. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function quoteCsvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Yields the CSV text of a snapshot: the header line, then blocks of rows, each ending in '\n'. */
export function* generateApmSnapshotCsv(options: SnapshotOptions): Generator<string> {
  const random = createRandom(options.seed ?? 42);
  const targets = options.targets ?? 50;
  const anomalyRate = options.anomalyRate ?? 0.01;
  const start = options.startMinute ?? new Date(Date.UTC(2026, 10, 30, 0, 0, 0));
  const gaussian = (): number => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  // A stable load profile per (target, transaction), so rows of one series look alike across minutes.
  const baseLoad = Array.from({ length: targets * TRANSACTIONS.length }, () => 0.5 + random() * 40);
  const baseLatency = Array.from({ length: targets * TRANSACTIONS.length }, () => 5 + random() * 120);

  yield `${APM_COLUMNS.join(',')}\n`;
  const perMinute = targets * TRANSACTIONS.length;
  let lines: string[] = [];
  for (let row = 0; row < options.rows; row++) {
    const minuteIndex = Math.floor(row / perMinute);
    const series = row % perMinute;
    const target = Math.floor(series / TRANSACTIONS.length);
    const transaction = TRANSACTIONS[series % TRANSACTIONS.length] ?? '/';
    const minute = new Date(start.getTime() + minuteIndex * 60_000).toISOString().replace('.000Z', 'Z');
    const isAnomaly = random() < anomalyRate;

    const tps = Math.max(0.01, (baseLoad[series] ?? 1) * (1 + 0.15 * gaussian()));
    const sqlCount = Math.max(0, Math.round(tps * (2 + random() * 3)));
    const sqlTime = sqlCount * (0.8 + 0.3 * random()) * (isAnomaly ? 6 + 10 * random() : 1);
    const fetchCount = Math.max(0, Math.round(sqlCount * (1 + random())));
    const fetchTime = fetchCount * 0.05 * (1 + 0.2 * gaussian() ** 2);
    const remoteCount = Math.max(0, Math.round(tps * random()));
    const remoteTime = remoteCount * (3 + 2 * random()) * (isAnomaly && random() < 0.5 ? 8 : 1);
    const cpuTime = (baseLatency[series] ?? 10) * 0.4 * (1 + 0.1 * gaussian());
    const elapsedAvg = cpuTime + sqlTime / Math.max(tps, 0.01) / 10 + remoteTime / Math.max(tps, 0.01) / 10 + 2 * random();
    const elapsedMax = elapsedAvg * (1.5 + 2 * random()) * (isAnomaly ? 3 : 1);
    const errors = isAnomaly ? Math.round(tps * (0.1 + random())) : random() < 0.02 ? 1 : 0;
    const threads = Math.max(1, Math.round(tps * elapsedAvg / 1000 + 2 + random() * 3));
    const gcTime = Math.max(0, 5 + 3 * gaussian()) * (isAnomaly && random() < 0.3 ? 20 : 1);
    const heap = 512 + 256 * random() + (isAnomaly ? 400 : 0);

    const values = [
      round(tps, 3), round(elapsedAvg, 3), round(elapsedMax, 3), round(cpuTime, 3), sqlCount, round(sqlTime, 3),
      fetchCount, round(fetchTime, 3), errors, threads, remoteCount, round(remoteTime, 3), round(gcTime, 3), round(heap, 1),
    ];
    lines.push(`${minute},tgt-${String(target).padStart(3, '0')},${quoteCsvField(transaction)},${values.join(',')}`);
    if (lines.length === 4096) {
      yield `${lines.join('\n')}\n`;
      lines = [];
    }
  }
  if (lines.length > 0) yield `${lines.join('\n')}\n`;
}
