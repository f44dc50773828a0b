#!/usr/bin/env node
// The peer benchmark: batch-infer against what users would otherwise run, on the same generated snapshot and the
// same ONNX models, on this machine; one table per manifest.
//
//   npm run bench:peers -- [--rows 100000] [--rounds 3] [--warm-runs 3] [--manifests autoencoder,all,iforest]
//                          [--peers row_by_row,ort_threaded,ort_threaded_ftz,ray_actor_pool,ray_data] [--note TEXT]
//                          [--out bench/peers/results] [--skip-python]
//
// Every round runs each batch-infer variant (`run` as a whole process, cold; `replay` of the snapshot through one
// pool, warm) and each Python peer (a whole process: cold, then --warm-runs passes in it), batch-infer first in
// even rounds and the peers first in odd ones, so that both sides share the machine's moods. Cold = median of the
// rounds' whole-process times; warm = median of every warm pass; both with their range. Every output is checked
// against batch-infer's first (predictions.mjs). Writes peers.json and peers.md.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, positiveInteger, usageError as exitWithUsage } from '../bench-args.mjs';
import { comparePredictions, readColumns, readOutputColumns } from './predictions.mjs';
import { renderMarkdown, summarizeTable } from './report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const bin = join(root, 'bin', 'batch-infer.js');
const MANIFESTS = [
  { key: 'autoencoder', file: 'autoencoder.manifest.json', title: 'the MLP autoencoder alone' },
  { key: 'all', file: 'manifest.json', title: '4 models: IsolationForest, gradient-boosted regressor, classifier, autoencoder' },
  { key: 'iforest', file: 'iforest.manifest.json', title: 'the IsolationForest alone' },
];
// batch-infer's rows, one per argument variant (given to both `run` and `replay`); the first is the reference.
// Another variant (e.g. an --engine) is one more line.
const BATCH_INFER_VARIANTS = [
  { key: 'batch-infer-2', label: 'batch-infer, 2 workers', args: ['-w', '2'] },
  { key: 'batch-infer-ort', label: 'batch-infer, 2 workers, --engine onnxruntime', args: ['-w', '2', '--engine', 'onnxruntime'] },
];
// isPerRowSlow: one session.run per row and model takes ~0.9 ms per row with the IsolationForest (~90 s per 100k
// rows), so on manifests that hold it this peer runs once, cold only.
const PEERS = [
  { key: 'row_by_row', label: 'Python row by row (single process)', venv: 'peers', isPerRowSlow: true },
  { key: 'ort_threaded', label: 'Python onnxruntime threaded, pyarrow, 1,024-row batches (single process)', venv: 'peers-ort' },
  // The same, with onnxruntime's flush-to-zero session option: what batch-infer's flushed subnormal weights do
  // (docs/manifest.md). In one Python process the option reaches the thread that runs the models.
  { key: 'ort_threaded_ftz', script: 'ort_threaded', args: ['--denormals-as-zero'], label: 'Python onnxruntime threaded, denormals as zero (single process)', venv: 'peers-ort' },
  { key: 'ray_actor_pool', label: 'Python + Ray actor pool (2 actors)', venv: 'peers' },
  { key: 'ray_data', label: 'Ray Data map_batches (2 actors)', venv: 'peers' },
];

const USAGE = `usage: npm run bench:peers -- [--rows N] [--rounds N] [--warm-runs N] [--manifests ${MANIFESTS.map((m) => m.key).join(',')}]
       [--peers ${PEERS.map((p) => p.key).join(',')}] [--note TEXT] [--out DIR] [--skip-python]`;
const parsed = parseBenchArgs(USAGE, {
  rows: { type: 'string', default: '100000' },
  rounds: { type: 'string', default: '3' },
  'warm-runs': { type: 'string', default: '3' },
  manifests: { type: 'string', default: MANIFESTS.map((m) => m.key).join(',') },
  peers: { type: 'string', default: PEERS.map((p) => p.key).join(',') },
  note: { type: 'string', default: '' },
  out: { type: 'string', default: join(here, 'results') },
  'skip-python': { type: 'boolean', default: false },
});
const count = (name) => positiveInteger(USAGE, parsed, name);
const rows = count('rows');
const rounds = count('rounds');
const warmRuns = count('warm-runs');
const manifests = parsed.manifests.split(',').map((key) => MANIFESTS.find((m) => m.key === key) ?? usageError(`--manifests: no manifest '${key}'`));
const peerKeys = parsed.peers.split(',');
for (const key of peerKeys) if (!PEERS.some((p) => p.key === key)) usageError(`--peers: no peer '${key}'`);
const note = parsed.note;
const outDir = parsed.out;
const isSkipPython = parsed['skip-python'];
const work = mkdtempSync(join(tmpdir(), 'batch-infer-peers-'));
const log = (line) => process.stderr.write(`bench:peers: ${(performance.now() / 1000).toFixed(1)} s: ${line}\n`);

function fail(message) {
  throw new Error(message);
}

function usageError(message) {
  exitWithUsage(USAGE, `bench:peers: ${message}`);
}

/** Runs a whole process; resolves with its wall time measured from outside. */
function timed(command, commandArgs) {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(command, commandArgs, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, ms: performance.now() - start, stderr }));
  });
}

/** Makes sure the peers' venvs exist; returns the peers that can run and why the others cannot. */
function preparePython(skipped) {
  const wanted = PEERS.filter((p) => peerKeys.includes(p.key));
  const missing = (why) => (skipped.push(`Python peers: ${why}`), []);
  if (isSkipPython) return missing('--skip-python');
  if (spawnSync('python3', ['--version']).status !== 0) return missing('python3 is not installed');
  const setup = spawnSync('bash', [join(here, 'setup-venv.sh')], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (setup.status !== 0) return missing(`bench/peers/setup-venv.sh failed: ${setup.stderr.trim().split('\n').at(-1)}`);
  return wanted;
}

/** One round of one batch-infer variant: a cold `run`, then a warm `replay` of the snapshot copies. */
async function measureBatchInfer(variant, table, round) {
  const output = join(table.dir, `${variant.key}-${round}.csv`);
  const timingJson = join(table.dir, `${variant.key}-${round}.json`);
  const run = await timed(process.execPath, [bin, 'run', table.input, '-m', table.manifest, ...variant.args, '-o', output, '--timing-json', timingJson, '-q']);
  if (run.code !== 0) fail(`batch-infer run ${variant.args.join(' ')} failed: ${run.stderr}`);
  const { startupMs, parallelMs, wallMs } = JSON.parse(readFileSync(timingJson, 'utf8'));
  const replayOut = join(table.dir, 'replay-out');
  rmSync(replayOut, { recursive: true, force: true });
  const replayTiming = join(table.dir, 'replay.json');
  const replay = spawnSync(process.execPath, [bin, 'replay', table.replayIn, '-m', table.manifest, ...variant.args, '--out-dir', replayOut, '--timing-json', replayTiming, '-q'], { encoding: 'utf8' });
  if (replay.status !== 0) fail(`batch-infer replay ${variant.args.join(' ')} failed: ${replay.stderr}`);
  // Every snapshot after the first is timed from the previous one's completion to its own.
  const finished = JSON.parse(readFileSync(replayTiming, 'utf8')).results.map((r) => r.finishedAtMs).sort((a, b) => a - b);
  return { coldMs: [run.ms], warmMs: finished.slice(1).map((t, i) => t - finished[i]), timing: [{ startupMs, parallelMs, wallMs }], outputs: [output, join(replayOut, 'snapshot-01.out.csv')] };
}

/** One round of one Python peer: a whole process. */
async function measurePeer(peer, table, round) {
  const output = join(table.dir, `${peer.key}-${round}.csv`);
  const timingJson = join(table.dir, `${peer.key}-${round}.json`);
  const isOnce = peer.isPerRowSlow && table.hasIforest;
  if (isOnce && round > 0) return undefined;
  const python = join(root, '.venv', peer.venv, 'bin', 'python');
  const run = await timed(python, [join(here, `${peer.script ?? peer.key}.py`), ...(peer.args ?? []), '--input', table.input, '--manifest', table.manifest, '--output', output, '--timing', timingJson, '--warm-runs', String(isOnce ? 0 : warmRuns)]);
  if (run.code !== 0) return { error: `${peer.key}: exited ${run.code}: ${run.stderr.trim().split('\n').at(-1)}` };
  const figures = JSON.parse(readFileSync(timingJson, 'utf8'));
  return { coldMs: [run.ms], warmMs: figures.warm_ms, initMs: [figures.init_ms], outputs: [output] };
}

/** Adds one round's measurement to a row, checking its outputs against the reference. */
function record(row, measured, table) {
  if (measured === undefined) return;
  if (measured.error !== undefined) {
    row.errors.push(measured.error);
    return;
  }
  for (const key of ['coldMs', 'warmMs', 'initMs', 'timing']) if (measured[key] !== undefined) row[key] = [...(row[key] ?? []), ...measured[key]];
  table.reference ??= readColumns(measured.outputs[0], table.columns);
  for (const output of measured.outputs) {
    const verdict = comparePredictions(table.reference, readColumns(output, table.columns), table.exact);
    if (verdict !== 'match') row.mismatches.push(verdict);
  }
}

async function measureTable(spec, input, peers, skipped) {
  const manifest = join(root, 'fixtures', 'models', spec.file);
  const { models } = JSON.parse(readFileSync(manifest, 'utf8'));
  const dir = join(work, spec.key);
  const replayIn = join(dir, 'replay');
  mkdirSync(replayIn, { recursive: true });
  for (let i = 0; i <= warmRuns; i++) copyFileSync(input, join(replayIn, `snapshot-${String(i).padStart(2, '0')}.csv`));
  // replay writes snapshot-NN.out.csv next to each; the second (the first warm one) is checked.
  const table = { ...spec, manifest, models, input, dir, replayIn, hasIforest: models.some((m) => m.name === 'iforest'), ...readOutputColumns(manifest, bin) };
  const sides = [
    BATCH_INFER_VARIANTS.map((variant) => ({ row: newRow(variant), measure: (round) => measureBatchInfer(variant, table, round) })),
    peers.map((peer) => ({ row: newRow(peer), measure: (round) => measurePeer(peer, table, round) })),
  ];
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
      for (const { row, measure } of side) {
        log(`${spec.key}: round ${round + 1}/${rounds}: ${row.key}`);
        record(row, await measure(round), table);
      }
    }
  }
  for (const { row } of sides.flat()) skipped.push(...row.errors.map((error) => `${spec.key}: ${error}`));
  const limit = models.length === 1 ? measureLimit(join(dirname(manifest), models[0].path), models[0].inputs[0].columns.length) : undefined;
  return summarizeTable({ spec, manifest: join('fixtures', 'models', spec.file), rows, limit, results: sides.flat().map((s) => s.row) });
}

function newRow({ key, label, args: variantArgs }) {
  return { key, peer: label, ...(variantArgs === undefined ? {} : { args: variantArgs }), errors: [], mismatches: [] };
}

/** The physical limit of a one-model manifest (physical-limit.mjs); none for several models. */
function measureLimit(model, width) {
  const run = spawnSync(process.execPath, [join(here, 'physical-limit.mjs'), model, String(width), '--rows', String(Math.max(20000, Math.min(rows, 100000)))], { encoding: 'utf8' });
  if (run.status !== 0) fail(`physical-limit.mjs ${model} failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

// The 1-minute load average before and after: how busy the (possibly shared) machine was.
const loadAverage = { start: loadavg()[0] };
const input = join(work, 'snapshot.csv');
const generate = spawnSync(process.execPath, [bin, 'generate', '--rows', String(rows), '-o', input], { encoding: 'utf8' });
if (generate.status !== 0) fail(`batch-infer generate failed: ${generate.stderr}`);
log(`${rows} rows in ${input}`);
const skipped = [];
const peers = preparePython(skipped);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
const tables = [];
mkdirSync(outDir, { recursive: true });
for (const spec of manifests) {
  tables.push(await measureTable(spec, input, peers, skipped));
  // Written after every table, so that a long run stopped half-way keeps the tables it finished.
  loadAverage.end = loadavg()[0];
  const report = { date, machine, note, loadAverage, rows, rounds, warmRuns, tables, skipped };
  writeFileSync(join(outDir, 'peers.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, 'peers.md'), renderMarkdown(report));
  if (tables.length === manifests.length) process.stdout.write(renderMarkdown(report));
}
rmSync(work, { recursive: true, force: true });
if (tables.some((t) => t.results.some((r) => r.predictions !== 'match' && r.predictions !== 'reference'))) {
  log('some predictions differ');
  process.exitCode = 1;
}
