/** The sweep's figures as a terminal table, CSV and Markdown. */

import type { BenchResult } from './sweep.js';

interface Row {
  isBest: boolean;
  cells: string[];
}

const HEADERS = ['workers', 'chunk', 'chunks', 'min ms', 'median ms', 'max ms', 'rows/s', 'speedup', 'efficiency', 'p50 ms', 'p95 ms', 'p99 ms', 'queue ms', 'busy', 'RSS MB', 'runs', 'stability'];

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

function rowsOf(result: BenchResult): Row[] {
  const rows: Row[] = [];
  for (const seq of result.sequential) {
    rows.push({
      isBest: false,
      cells: ['seq', String(seq.chunkSize), String(seq.chunks), fixed(seq.minMs, 1), fixed(seq.medianMs, 1), fixed(seq.maxMs, 1), fixed(seq.rowsPerSec, 0), '1.00', '-', '-', '-', '-', '-', '-', '-', String(seq.runs.length), `${seq.isStable ? 'stable' : 'UNSTABLE'} ${fixed(seq.spreadPercent, 1)}%`],
    });
  }
  for (const c of result.configs) {
    rows.push({
      isBest: c.workers === result.best.workers && c.chunkSize === result.best.chunkSize,
      cells: [
        String(c.workers), String(c.chunkSize), String(c.chunks), fixed(c.minMs, 1), fixed(c.medianMs, 1), fixed(c.maxMs, 1), fixed(c.rowsPerSec, 0),
        fixed(c.speedup, 2), `${fixed(c.efficiency * 100, 0)}%`, fixed(c.latencyP50Ms, 1), fixed(c.latencyP95Ms, 1), fixed(c.latencyP99Ms, 1),
        fixed(c.queueWaitMs, 1), `${fixed(c.busyShare * 100, 0)}%`, fixed(c.peakRssMb, 0), String(c.runs.length), `${c.isStable ? 'stable' : 'UNSTABLE'} ${fixed(c.spreadPercent, 1)}%`,
      ],
    });
  }
  return rows;
}

export function formatBenchTable(result: BenchResult): string {
  const rows = rowsOf(result);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]!.length)));
  const line = (cells: string[], mark: string): string => `${mark} ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  const best = result.best;
  return [
    `${result.rows} rows, ${result.input}; warm-up ${result.warmup} run(s); repeats until the last ${result.rule.repeats} agree within ${result.rule.stabilityPercent}% (at most ${result.rule.maxRepeats})`,
    line(HEADERS, ' '),
    ...rows.map((r) => line(r.cells, r.isBest ? '*' : ' ')),
    `* best: ${best.workers} workers, chunk size ${best.chunkSize}: ${Math.round(best.rowsPerSec).toLocaleString('en-US')} rows/s, speedup ${best.speedup.toFixed(2)} over sequential (efficiency ${(best.efficiency * 100).toFixed(0)}%)`,
  ].join('\n') + '\n';
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function formatBenchCsv(result: BenchResult): string {
  const keys = ['workers', 'chunk_size', 'chunks', 'min_ms', 'median_ms', 'max_ms', 'rows_per_sec', 'speedup', 'efficiency', 'latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms', 'queue_wait_ms', 'busy_share', 'peak_rss_mb', 'runs', 'stable', 'spread_percent', 'best'];
  const lines = [keys.join(',')];
  for (const s of result.sequential) {
    lines.push(['sequential', s.chunkSize, s.chunks, s.minMs, s.medianMs, s.maxMs, s.rowsPerSec, 1, '', '', '', '', '', '', '', s.runs.length, s.isStable, s.spreadPercent, false].map((v) => csvField(String(v))).join(','));
  }
  for (const c of result.configs) {
    const isBest = c.workers === result.best.workers && c.chunkSize === result.best.chunkSize;
    lines.push([c.workers, c.chunkSize, c.chunks, c.minMs, c.medianMs, c.maxMs, c.rowsPerSec, c.speedup, c.efficiency, c.latencyP50Ms, c.latencyP95Ms, c.latencyP99Ms, c.queueWaitMs, c.busyShare, c.peakRssMb, c.runs.length, c.isStable, c.spreadPercent, isBest].map((v) => csvField(String(v))).join(','));
  }
  return `${lines.join('\n')}\n`;
}

export function formatBenchMarkdown(result: BenchResult, gate?: string): string {
  const rows = rowsOf(result);
  const head = ['', ...HEADERS];
  const out = [
    `### batch-infer bench: ${result.rows} rows on ${result.machine.cpus} × ${result.machine.model} (Node ${result.machine.node})`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.isBest ? '**best**' : ''} | ${r.cells.join(' | ')} |`),
    '',
    `Best: **${result.best.workers} workers, chunk size ${result.best.chunkSize}**, ${Math.round(result.best.rowsPerSec).toLocaleString('en-US')} rows/s, speedup ${result.best.speedup.toFixed(2)}× over the sequential baseline measured in the same run.`,
  ];
  if (gate !== undefined) out.push('', '```', gate.trimEnd(), '```');
  return `${out.join('\n')}\n`;
}
