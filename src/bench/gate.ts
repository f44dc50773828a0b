/**
 * The CI gate: compare a sweep with a saved one on figures that hold across runs on a noisy shared machine.
 * Absolute milliseconds move with whatever else the machine does; the speedup over the sequential baseline
 * measured in the same run (which is also the throughput relative to it) and the parallel efficiency do not,
 * nearly as much. Those are compared; absolute throughput is shown for information only.
 */

import type { BenchResult } from './sweep.js';

export interface GateFigure {
  name: string;
  baseline: number;
  current: number;
  /** Change in percent; negative is worse. */
  changePercent: number;
  isRegression: boolean;
}

export interface GateVerdict {
  isRegression: boolean;
  figures: GateFigure[];
  text: string;
}

function change(baseline: number, current: number): number {
  return ((current - baseline) / baseline) * 100;
}

export function compareWithBaseline(current: BenchResult, baseline: BenchResult, maxRegressionPercent: number): GateVerdict {
  const figures: GateFigure[] = [];
  const add = (name: string, before: number, now: number): void => {
    const pct = change(before, now);
    figures.push({ name, baseline: before, current: now, changePercent: pct, isRegression: pct < -maxRegressionPercent });
  };
  add('best speedup over sequential', baseline.best.speedup, current.best.speedup);
  add('best parallel efficiency', baseline.best.efficiency, current.best.efficiency);
  // Every configuration both runs measured, as one figure: the median of their speedups.
  const shared = current.configs.filter((c) => baseline.configs.some((b) => b.workers === c.workers && b.chunkSize === c.chunkSize));
  if (shared.length > 0) {
    const ratios = shared.map((c) => c.speedup / baseline.configs.find((b) => b.workers === c.workers && b.chunkSize === c.chunkSize)!.speedup).sort((a, b) => a - b);
    const medianRatio = ratios[ratios.length >> 1]!;
    figures.push({ name: `median speedup change over ${shared.length} shared configurations`, baseline: 1, current: medianRatio, changePercent: (medianRatio - 1) * 100, isRegression: (medianRatio - 1) * 100 < -maxRegressionPercent });
  }
  const isRegression = figures.some((f) => f.isRegression);
  const lines = [`compared with the baseline (fails beyond -${maxRegressionPercent}%):`];
  for (const f of figures) {
    lines.push(`  ${f.isRegression ? 'REGRESSION' : 'ok        '}  ${f.name}: ${f.baseline.toFixed(3)} -> ${f.current.toFixed(3)} (${f.changePercent >= 0 ? '+' : ''}${f.changePercent.toFixed(1)}%)`);
  }
  lines.push(`  not compared (absolute, machine-dependent): best rows/s ${Math.round(baseline.best.rowsPerSec)} -> ${Math.round(current.best.rowsPerSec)} (${change(baseline.best.rowsPerSec, current.best.rowsPerSec).toFixed(1)}%)`);
  lines.push(isRegression ? 'verdict: REGRESSION' : 'verdict: no regression');
  return { isRegression, figures, text: `${lines.join('\n')}\n` };
}
