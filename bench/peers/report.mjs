// The peer benchmark's figures: one summary per manifest (medians, ranges, ratios to batch-infer, targets) and the
// Markdown written to peers.md and printed.

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Median, range and count of a list of ms; undefined when empty. */
function describe(values) {
  if (values === undefined || values.length === 0) return undefined;
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length, values };
}

/** Turns a table's raw measurements into its summary: stats, ratios to the reference (first) row, targets. */
export function summarizeTable({ spec, manifest, rows, limit, results }) {
  const measured = results.filter((r) => r.coldMs !== undefined);
  const summary = measured.map((r, i) => ({
    key: r.key,
    peer: r.peer,
    ...(r.args === undefined ? {} : { args: r.args }),
    cold: describe(r.coldMs),
    warm: describe(r.warmMs),
    ...(r.initMs === undefined ? {} : { init: describe(r.initMs) }),
    // batch-infer's own breakdown of each cold run (--timing-json): start-up, then the parallel scoring.
    ...(r.timing === undefined ? {} : { timing: { startup: describe(r.timing.map((t) => t.startupMs)), parallel: describe(r.timing.map((t) => t.parallelMs)), wall: describe(r.timing.map((t) => t.wallMs)) } }),
    predictions: r.mismatches[0] ?? (i === 0 ? 'reference' : 'match'),
  }));
  const reference = summary[0];
  const limitRowsPerSec = limit?.limitRowsPerSec;
  for (const r of summary) {
    r.warmRowsPerSec = r.warm && (rows / r.warm.median) * 1000;
    r.coldVsBatchInfer = r.cold.median / reference.cold.median;
    r.warmBatchInferAdvantage = r.warm && reference.warm && r.warm.median / reference.warm.median;
    r.shareOfLimit = limitRowsPerSec && r.warmRowsPerSec && r.warmRowsPerSec / limitRowsPerSec;
  }
  return { key: spec.key, title: spec.title, manifest, limit, results: summary, targets: judgeTargets(summary, limitRowsPerSec, rows) };
}

/** The issue's targets, against the Ray actor pool and the physical limit, where those were measured. */
function judgeTargets(summary, limitRowsPerSec, rows) {
  const bi = summary[0];
  const ray = summary.find((r) => r.key === 'ray_actor_pool');
  const targets = [];
  if (ray !== undefined) {
    targets.push({ target: `cold: ${bi.peer} (run) <= 1/10 of the Ray actor-pool script`, value: `${(bi.cold.median / 1000).toFixed(2)} s vs ${(ray.cold.median / 1000).toFixed(2)} s = 1/${(ray.cold.median / bi.cold.median).toFixed(1)}`, isMet: bi.cold.median * 10 <= ray.cold.median });
    if (ray.warm && bi.warm) targets.push({ target: 'warm: batch-infer throughput >= 1.5x the Ray actor pool', value: `${(ray.warm.median / bi.warm.median).toFixed(2)}x`, isMet: ray.warm.median / bi.warm.median >= 1.5 });
  }
  if (limitRowsPerSec !== undefined && bi.warm) {
    const share = rows / bi.warm.median * 1000 / limitRowsPerSec;
    targets.push({ target: 'near the limit: batch-infer warm >= 70% of the physical limit', value: `${(share * 100).toFixed(0)}%`, isMet: share >= 0.7 });
  }
  return targets;
}

const fixed = (v, digits) => (v === undefined ? '-' : v.toFixed(digits));
/** "median (min-max)" of a stat, scaled; the range only when there were several values. */
const withRange = (stat, scale, digits) => (stat === undefined ? '-' : `${fixed(stat.median / scale, digits)}${stat.n > 1 ? ` (${fixed(stat.min / scale, digits)}–${fixed(stat.max / scale, digits)})` : ''}`);
const count = (v) => (v === undefined ? '-' : Math.round(v).toLocaleString('en-US'));
const percent = (v) => (v === undefined ? '-' : `${(v * 100).toFixed(0)}%`);

function renderTable(table, rows) {
  const header = ['peer', 'cold: whole process (s)', `warm: per ${rows} rows (ms)`, 'warm rows/s', 'cold ÷ batch-infer', 'warm ÷ batch-infer', 'share of limit', 'predictions'];
  const cells = table.results.map((r) => [r.peer, withRange(r.cold, 1000, 2), withRange(r.warm, 1, 0), count(r.warmRowsPerSec), fixed(r.coldVsBatchInfer, 2), fixed(r.warmBatchInferAdvantage, 2), percent(r.shareOfLimit), r.predictions]);
  const { limit } = table;
  if (limit !== undefined) {
    // What the cores do when they only infer, all at once: the limit no work outside inference can pass.
    const alone = limit.concurrent;
    cells.push([`inference alone, ${alone.threads} threads at once (in-memory tensors)`, '-', fixed((rows / alone.rowsPerSec) * 1000, 0), count(alone.rowsPerSec), '-', '-', percent(alone.rowsPerSec / limit.limitRowsPerSec), '-']);
    cells.push(['physical limit (1-thread inference on in-memory tensors × cores)', '-', fixed((rows / limit.limitRowsPerSec) * 1000, 0), count(limit.limitRowsPerSec), '-', '-', '100%', '-']);
  }
  const breakdown = table.results.filter((r) => r.timing !== undefined).map((r) => `${r.peer}: start-up ${withRange(r.timing.startup, 1, 0)} ms, parallel ${withRange(r.timing.parallel, 1, 0)} ms`);
  return [
    `### ${table.title} (${table.manifest})`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 || i === header.length - 1 ? '---' : '---:')).join(' | ')} |`,
    ...cells.map((row) => `| ${row.join(' | ')} |`),
    '',
    `batch-infer's own timing of the cold runs (--timing-json): ${breakdown.join('; ')}.`,
    ...(table.targets.length > 0 ? ['', ...table.targets.map((t) => `- ${t.isMet ? 'met' : 'NOT met'}: ${t.target}: ${t.value}`)] : []),
  ].join('\n');
}

/** peers.md: the header line, then one table per manifest. */
export function renderMarkdown(report) {
  const { date, machine, note, loadAverage, rows, rounds, warmRuns, tables, skipped } = report;
  const load = `load average ${loadAverage.start.toFixed(1)} at the start, ${loadAverage.end.toFixed(1)} at the end`;
  const headerLine = `Peer benchmark, ${date} UTC, ${machine}${note ? ` (${note})` : ''}, ${load}; ${rows} rows; ${rounds} rounds, batch-infer and the peers alternating; cold = median (range) of the rounds' whole processes, from process start to output written; warm = median (range) of every warm pass (${warmRuns} per process and round), models loaded (batch-infer: \`replay\` of ${warmRuns + 1} copies of the snapshot through one pool, each after the first timed from the previous one's completion); inference alone = best of 6 passes.`;
  return `${[headerLine, ...tables.map((t) => `\n${renderTable(t, rows)}`), ...(skipped.length > 0 ? ['', ...skipped.map((s) => `- skipped: ${s}`)] : [])].join('\n')}\n`;
}
