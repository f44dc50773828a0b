/**
 * The sweep as a chart people can read at a glance: rows/s against chunk size (log scale), one line per worker
 * count, the sequential baseline dashed, the best configuration circled. Plain SVG, no dependencies.
 */

import type { BenchResult } from './sweep.js';

const WIDTH = 820;
const HEIGHT = 440;
const MARGIN = { left: 100, right: 200, top: 50, bottom: 60 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

function niceStep(max: number): number {
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((step) => step >= rough) ?? rough;
}

export function renderBenchSvg(result: BenchResult): string {
  const sizes = [...new Set([...result.sequential.map((s) => s.chunkSize), ...result.configs.map((c) => c.chunkSize)])].sort((a, b) => a - b);
  const minX = Math.log2(sizes[0]!);
  const maxX = Math.log2(sizes.at(-1)!);
  const maxY = Math.max(...result.configs.map((c) => c.rowsPerSec), ...result.sequential.map((s) => s.rowsPerSec)) * 1.1;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (size: number): number => MARGIN.left + (maxX === minX ? plotW / 2 : ((Math.log2(size) - minX) / (maxX - minX)) * plotW);
  const y = (rate: number): number => MARGIN.top + plotH - (rate / maxY) * plotH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  parts.push(`<text x="${MARGIN.left}" y="24" font-size="15" font-weight="bold">batch-infer bench: throughput by chunk size (${result.rows.toLocaleString('en-US')} rows)</text>`);
  const step = niceStep(maxY);
  for (let v = 0; v <= maxY; v += step) {
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${MARGIN.left - 8}" y="${y(v) + 4}" text-anchor="end">${Math.round(v).toLocaleString('en-US')}</text>`);
  }
  for (const size of sizes) {
    parts.push(`<line x1="${x(size)}" x2="${x(size)}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 5}" stroke="#333"/>`);
    parts.push(`<text x="${x(size)}" y="${MARGIN.top + plotH + 20}" text-anchor="middle">${size >= 1024 ? `${size / 1024}k` : size}</text>`);
  }
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="#333"/>`);
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#333"/>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 15}" text-anchor="middle">chunk size (rows per chunk, log scale)</text>`);
  parts.push(`<text transform="translate(22 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">rows per second (median)</text>`);

  const series: { label: string; color: string; dashed: boolean; points: [number, number][] }[] = [
    { label: 'sequential (1 thread)', color: '#555', dashed: true, points: result.sequential.map((s) => [s.chunkSize, s.rowsPerSec]) },
    ...[...new Set(result.configs.map((c) => c.workers))].map((workers, i) => ({
      label: `${workers} worker${workers === 1 ? '' : 's'}`,
      color: COLORS[i % COLORS.length]!,
      dashed: false,
      points: result.configs.filter((c) => c.workers === workers).map((c): [number, number] => [c.chunkSize, c.rowsPerSec]),
    })),
  ];
  series.forEach((s, i) => {
    const d = s.points.map(([size, rate], j) => `${j === 0 ? 'M' : 'L'}${x(size).toFixed(1)},${y(rate).toFixed(1)}`).join(' ');
    parts.push(`<path class="series" data-label="${escapeXml(s.label)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const [size, rate] of s.points) parts.push(`<circle cx="${x(size).toFixed(1)}" cy="${y(rate).toFixed(1)}" r="3" fill="${s.color}"/>`);
    const ly = MARGIN.top + 10 + i * 22;
    parts.push(`<line x1="${WIDTH - MARGIN.right + 15}" x2="${WIDTH - MARGIN.right + 45}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${WIDTH - MARGIN.right + 52}" y="${ly + 4}">${escapeXml(s.label)}</text>`);
  });
  const best = result.best;
  parts.push(`<circle cx="${x(best.chunkSize).toFixed(1)}" cy="${y(best.rowsPerSec).toFixed(1)}" r="8" fill="none" stroke="black" stroke-width="1.5"/>`);
  const bestY = MARGIN.top + 10 + series.length * 22 + 10;
  parts.push(`<text x="${WIDTH - MARGIN.right + 15}" y="${bestY}">○ best: ${best.workers}w × ${best.chunkSize}</text>`);
  parts.push(`<text x="${WIDTH - MARGIN.right + 15}" y="${bestY + 18}">${Math.round(best.rowsPerSec).toLocaleString('en-US')} rows/s</text>`);
  parts.push(`<text x="${WIDTH - MARGIN.right + 15}" y="${bestY + 36}">speedup ${best.speedup.toFixed(2)}×</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
