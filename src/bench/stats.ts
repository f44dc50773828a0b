/** Small statistics for the benchmark: percentiles, and the stability rule for repeats. */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank, as perf_analyzer reports latencies.
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Spread of the last `window` measurements as a percentage of their median: (max - min) / median. */
export function spreadPercent(values: readonly number[], window: number): number {
  const last = values.slice(-window);
  if (last.length === 0) return Number.POSITIVE_INFINITY;
  return ((Math.max(...last) - Math.min(...last)) / median(last)) * 100;
}

export interface StabilityRule {
  /** Counted runs at least. */
  repeats: number;
  /** Stable when the last `repeats` runs spread by at most this percentage. */
  stabilityPercent: number;
  /** Counted runs at most. */
  maxRepeats: number;
}

/** perf_analyzer's rule: keep measuring until the last runs agree within the threshold, or the cap is hit. */
export function isDoneMeasuring(values: readonly number[], rule: StabilityRule): boolean {
  if (values.length < rule.repeats) return false;
  return spreadPercent(values, rule.repeats) <= rule.stabilityPercent || values.length >= rule.maxRepeats;
}
