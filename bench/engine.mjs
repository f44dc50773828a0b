#!/usr/bin/env node
// Per-thread speed and load time of each fixture model on both engines (onnxruntime, compiled), and on
// onnxruntime with its subnormal weights flushed where auto would flush them (docs/manifest.md).
// Usage: npm run build && node bench/engine.mjs [--runs 5] [--manifest fixtures/models/manifest.json]
// Each measurement is a fresh worker thread (cold load, as a pool worker has): it loads the model, scores the
// fixture snapshot's rows in calls of 1,024 rows until warm, then times passes over them. The engines
// alternate within every run, so that a shared machine's load falls on both alike; the table is the median
// over the runs, with the range.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parseBenchArgs, positiveInteger } from './bench-args.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BATCH = 1024;

async function measure({ model, engine, columns, rows }) {
  const ort = await import('onnxruntime-node');
  const { loadModel } = await import(join(ROOT, 'dist/src/model/model-session.js'));
  const start = performance.now();
  const flushedFor = engine === 'onnxruntime, subnormals flushed' ? model.flushedFor : undefined;
  const loaded = await loadModel({ name: model.name, path: model.path, engine: engine.startsWith('onnxruntime') ? 'onnxruntime' : 'compiled', flushedFor });
  const loadMs = performance.now() - start;
  const input = model.inputs[0];
  const width = input.columns.length;
  const names = model.outputs.map((o) => o.name);
  const batches = [];
  for (let from = 0; from < rows.length; from += BATCH) {
    const slice = rows.slice(from, from + BATCH);
    const data = Float32Array.from(slice.flatMap((row) => input.columns.map((c) => Number(row[columns.indexOf(c)]))));
    batches.push(new ort.Tensor('float32', data, [slice.length, width]));
  }
  const pass = async () => {
    const t = performance.now();
    for (const tensor of batches) await loaded.session.run({ [input.name]: tensor }, names);
    return ((performance.now() - t) * 1000) / rows.length;
  };
  for (let i = 0; i < 5; i++) await pass();
  const times = [];
  for (let i = 0; i < 5; i++) times.push(await pass());
  await loaded.session.release();
  return { loadMs, usPerRow: median(times) };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The forest plans in a cache (a proof that passed for a model with fused forests adds one). */
function countPlans(cache) {
  const dir = join(cache, 'proofs');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.plan')).length : 0;
}

function runWorker(data, cacheDir) {
  return new Promise((done, fail) => {
    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: data, env: { ...process.env, BATCH_INFER_CACHE_DIR: cacheDir } });
    worker.once('message', done);
    worker.once('error', fail);
  });
}

async function main() {
  const usage = 'usage: npm run build && node bench/engine.mjs [--runs 5] [--manifest fixtures/models/manifest.json]';
  const values = parseBenchArgs(usage, { runs: { type: 'string', default: '5' }, manifest: { type: 'string', default: join(ROOT, 'fixtures/models/manifest.json') } });
  const runs = positiveInteger(usage, values, 'runs');
  const manifestFile = resolve(values.manifest);
  const { parseManifest } = await import(join(ROOT, 'dist/src/model/manifest.js'));
  const { decideEngine } = await import(join(ROOT, 'dist/src/model/choose-engine.js'));
  const manifest = parseManifest(JSON.parse(readFileSync(manifestFile, 'utf8')), manifestFile);
  const lines = readFileSync(join(ROOT, 'fixtures/snapshot.csv'), 'utf8').trim().split('\n');
  const columns = lines[0].split(',');
  const rows = lines.slice(1).map((line) => line.split(','));
  const results = new Map();
  const engines = new Map();
  // Two caches: one left empty, one holding the proofs (and forest plans) of every model the engine can run.
  const emptyCache = mkdtempSync(join(tmpdir(), 'batch-infer-engine-bench-empty-'));
  const planCache = mkdtempSync(join(tmpdir(), 'batch-infer-engine-bench-plans-'));
  process.env.BATCH_INFER_CACHE_DIR = planCache;
  for (const model of manifest.models) {
    // Every model the engine can run, not only those auto gives it (compiled proves it, and caches its plan).
    const before = countPlans(planCache);
    const isCompilable = await decideEngine({ name: model.name, path: model.path }, 'compiled').then(() => true, () => false);
    const hasPlan = countPlans(planCache) > before;
    // A model whose subnormal weights auto flushes on onnxruntime (proved): that copy too.
    const { flushedFor } = await decideEngine({ name: model.name, path: model.path, engine: 'auto' }, 'auto');
    if (flushedFor !== undefined && !isCompilable) model.flushedFor = flushedFor;
    const onnxruntime = ['onnxruntime', ...(model.flushedFor === undefined ? [] : ['onnxruntime, subnormals flushed'])];
    engines.set(model.name, isCompilable ? [...onnxruntime, 'compiled', ...(hasPlan ? ['compiled, cached plan'] : [])] : onnxruntime);
  }
  for (let run = 0; run < runs; run++) {
    for (const model of manifest.models) {
      for (const engine of run % 2 === 0 ? engines.get(model.name) : [...engines.get(model.name)].reverse()) {
        const key = `${model.name}\t${engine}`;
        const result = await runWorker({ model, engine, columns, rows }, engine === 'compiled, cached plan' ? planCache : emptyCache);
        results.set(key, [...(results.get(key) ?? []), result]);
        process.stderr.write('.');
      }
    }
  }
  process.stderr.write('\n');
  rmSync(emptyCache, { recursive: true, force: true });
  rmSync(planCache, { recursive: true, force: true });
  const range = (values, digits) => `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)})`;
  console.log(`model\tengine\tus/row/thread\tload ms\t(median of ${runs} runs, min-max; ${rows.length} rows, calls of ${BATCH})`);
  for (const [key, values] of results) {
    console.log(`${key}\t${range(values.map((v) => v.usPerRow), 2)}\t${range(values.map((v) => v.loadMs), 0)}`);
  }
}

if (isMainThread) await main();
else parentPort.postMessage(await measure(workerData));
