import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { BenchResult } from '../../src/bench/sweep.js';
import { exitStatusOf, type ErrorCode } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { MODELS, tempDir } from '../helpers/paths.js';

const AE = join(MODELS, 'autoencoder.manifest.json');
/** Never written: bench refuses two reports onto one file before it starts. */
const SAME = join(tmpdir(), 'bench-same-report.txt');
const QUICK = ['--rows', '3000', '-m', AE, '--chunk-sizes', '500,1000', '--workers', '1,2', '--warmup', '0', '--repeats', '2', '--max-repeats', '3', '--stability', '50'];

/** The middle run, or the mean of the middle two. */
function medianOf(runs: number[]): number {
  const sorted = [...runs].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Well-formed XML by a tag stack: every opened element is closed, in order. */
function assertWellFormedXml(text: string): void {
  const stack: string[] = [];
  for (const match of text.matchAll(/<(\/?)([a-zA-Z][\w:-]*)([^>]*?)(\/?)>/g)) {
    const [, closing, name, , selfClosing] = match;
    if (selfClosing === '/') continue;
    if (closing === '/') assert.equal(stack.pop(), name, `</${name}> closes the open element`);
    else stack.push(name!);
  }
  assert.deepEqual(stack, []);
}

describe('batch-infer bench', () => {
  it('sweeps every configuration with a sequential baseline and writes every output', (t) => {
    const dir = tempDir(t);
    const files = { json: join(dir, 'b.json'), csv: join(dir, 'b.csv'), md: join(dir, 'b.md'), svg: join(dir, 'b.svg'), rec: join(dir, 'rec.json') };
    const result = runCli(['bench', ...QUICK, '--json', files.json, '--csv', files.csv, '--markdown', files.md, '--svg', files.svg, '--recommend', files.rec]);
    assert.equal(result.code, 0, result.stderr);
    const bench = JSON.parse(readFileSync(files.json, 'utf8')) as BenchResult;
    assert.equal(bench.rows, 3000);
    assert.deepEqual(bench.configs.map((c) => `${c.workers}x${c.chunkSize}`), ['1x500', '1x1000', '2x500', '2x1000']);
    assert.deepEqual(bench.sequential.map((s) => s.chunkSize), [500, 1000]);
    for (const c of bench.configs) {
      const seq = bench.sequential.find((s) => s.chunkSize === c.chunkSize)!;
      // From the raw runs, not from the medians printed beside the speedup: a wrong median, the baseline of
      // another chunk size, or the ratio turned over would show here.
      const fromRuns = medianOf(seq.runs) / medianOf(c.runs);
      assert.ok(Math.abs(c.speedup - fromRuns) <= 1e-9 * fromRuns, `${c.workers}x${c.chunkSize}: speedup ${c.speedup}, the runs give ${fromRuns}`);
      assert.ok(Math.abs(c.efficiency * c.workers - fromRuns) <= 1e-9 * fromRuns, `${c.workers}x${c.chunkSize}: efficiency ${c.efficiency}`);
      assert.ok(c.busyShare <= 1.01, `${c.workers}x${c.chunkSize}: workers busy ${c.busyShare} of the time, more than all of it`);
      assert.ok(c.runs.length >= 2 && c.runs.length <= 3);
      assert.ok(c.minMs <= c.medianMs && c.medianMs <= c.maxMs);
      assert.ok(c.latencyP50Ms <= c.latencyP95Ms && c.latencyP95Ms <= c.latencyP99Ms);
      assert.ok(c.peakRssMb > 0 && c.busyShare > 0);
    }
    const best = bench.configs.reduce((a, b) => (b.rowsPerSec > a.rowsPerSec ? b : a));
    assert.deepEqual([bench.best.workers, bench.best.chunkSize], [best.workers, best.chunkSize]);
    // The table marks the best row and prints the speedups it computed.
    const bestLine = result.stdout.split('\n').find((line) => line.startsWith('*') && !line.startsWith('* best'))!;
    assert.match(bestLine, new RegExp(`^\\*\\s+${best.workers}\\s+${best.chunkSize}\\s`));
    assert.ok(bestLine.includes(best.speedup.toFixed(2)));
    assert.match(result.stdout, /^\s+seq\s+500\s/m);

    const svg = readFileSync(files.svg, 'utf8');
    assertWellFormedXml(svg);
    const series = [...svg.matchAll(/<path class="series" data-label="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(series, ['sequential (1 thread)', '1 worker', '2 workers']);
    assert.match(svg, /chunk size \(rows per chunk, log scale\)/);
    assert.match(svg, /rows per second/);

    const csv = readFileSync(files.csv, 'utf8').trim().split('\n');
    assert.equal(csv.length, 1 + 2 + 4);
    assert.match(csv[0]!, /^workers,chunk_size,chunks,min_ms,median_ms/);
    assert.match(readFileSync(files.md, 'utf8'), /\| \*\*best\*\* \|/);
    assert.deepEqual(JSON.parse(readFileSync(files.rec, 'utf8')), { chunkSize: best.chunkSize, workers: best.workers });
    // What it recommends, run takes as a config file.
    const printed = runCli(['run', '-m', AE, '--config', files.rec, '--print-config'], { input: 'x' });
    assert.match(printed.stdout, new RegExp(`--chunk-size\\s+${best.chunkSize}\\s+\\[config`));
  });

  it('the regression gate compares speedups, fails a baseline it must fail (exit 1) and passes one it must pass', (t) => {
    const dir = tempDir(t);
    const saved = join(dir, 'saved.json');
    const first = runCli(['bench', ...QUICK, '--save-baseline', saved, '-q']);
    assert.equal(first.code, 0, first.stderr);
    const base = JSON.parse(readFileSync(saved, 'utf8')) as BenchResult;
    const scaled = (factor: number): string => {
      const copy = structuredClone(base);
      copy.best.speedup *= factor;
      copy.best.efficiency *= factor;
      for (const c of copy.configs) {
        c.speedup *= factor;
        c.efficiency *= factor;
      }
      const file = join(dir, `baseline-${factor}.json`);
      writeFileSync(file, JSON.stringify(copy));
      return file;
    };
    const failing = runCli(['bench', ...QUICK, '--baseline', scaled(5), '--max-regression', '20']);
    assert.equal(failing.code, 1, failing.stderr);
    assert.match(failing.stdout, /REGRESSION\s+best speedup over sequential: [\d.]+ -> [\d.]+ \(-\d+\.\d%\)/);
    assert.match(failing.stdout, /verdict: REGRESSION/);
    const passing = runCli(['bench', ...QUICK, '--baseline', scaled(0.1), '--max-regression', '20']);
    assert.equal(passing.code, 0, passing.stderr);
    assert.match(passing.stdout, /verdict: no regression/);
    assert.match(passing.stdout, /not compared \(absolute, machine-dependent\)/);
  });

  const bad: [string, string[], ErrorCode, RegExp][] = [
    ['a zero chunk size', ['--chunk-sizes', '0'], 'USAGE', /--chunk-sizes must be positive integers/],
    ['a worker count that is not a number', ['--workers', 'abc'], 'USAGE', /--workers must be positive integers such as '1,2,4', got 'abc'/],
    ['a range whose end is below its start', ['--chunk-sizes', '4096:256'], 'USAGE', /--chunk-sizes: the range end 256 is below its start 4096/],
    ['a missing baseline', ['--baseline', 'nope.json'], 'INPUT_NOT_FOUND', /--baseline nope\.json: no such file/],
    ['a report onto the manifest', ['--json', AE], 'USAGE', /--json .*autoencoder\.manifest\.json: is the same file as --manifest .*; refusing to overwrite it/],
    ['two reports onto one file', ['--csv', SAME, '--markdown', SAME], 'USAGE', /--markdown .*bench-same-report\.txt: is the same file as --csv /],
  ];
  for (const [name, args, error, message] of bad) {
    it(`exits ${exitStatusOf(error)} (${error}) with one line for ${name}`, () => {
      const result = runCli(['bench', '--rows', '100', '-m', AE, ...args]);
      assert.equal(result.code, exitStatusOf(error), result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1);
    });
  }
});
