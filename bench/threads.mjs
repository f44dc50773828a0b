#!/usr/bin/env node
// Where a worker's time goes, and whether the cores scale. On a generated snapshot (default 100k rows), cut into
// the default chunks, it times on one thread, warm: the CSV fast path, csv-parse, row formatting, and the whole of
// scoreChunk (parse, inference, formatting); then the scoreChunk loop in 1 and in 2 worker threads of one process at once.
// Each figure is ms per pass over every row (best and median of the warm passes). A benchmark, not a test.
// Usage: npm run build && node bench/threads.mjs [--rows 100000] [--passes 12]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const load = (path) => import(pathToFileURL(join(root, 'dist/src', path)).href);

/** Best and median of the passes after the first third (the warm ones). */
async function passes(count, pass) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await pass();
    times.push(performance.now() - start);
  }
  const warm = times.slice(Math.floor(count / 3)).sort((a, b) => a - b);
  return `${warm[0].toFixed(0)} ms best, ${warm[Math.floor(warm.length / 2)].toFixed(0)} median`;
}

async function setUp(text) {
  const { RecordSplitter } = await load('input/split-records.js');
  const { loadManifest } = await load('model/manifest.js');
  const { bindPlan } = await load('model/bind-plan.js');
  const { loadModels } = await load('model/model-session.js');
  const { DEFAULT_BATCH_ROWS, DEFAULT_CHUNK_SIZE } = await load('config/options.js');
  const manifest = loadManifest(join(root, 'fixtures/models/autoencoder.manifest.json'));
  const models = await loadModels(manifest.models.map((m) => ({ name: m.name, path: m.path })));
  const header = text.subarray(0, text.indexOf(10)).toString('utf8').split(',');
  const plan = bindPlan(manifest, models.map((m) => m.signature), { inputFormat: 'csv', outputFormat: 'csv', parser: 'fast', batchRows: DEFAULT_BATCH_ROWS, header, inputName: 'bench' });
  const splitter = new RecordSplitter({ format: 'csv', chunkRows: DEFAULT_CHUNK_SIZE, hasHeader: true, isShared: false });
  return { plan, models, chunks: [...splitter.push(text), ...splitter.end()] };
}

if (!isMainThread) {
  const { plan, models, chunks } = await setUp(Buffer.from(workerData.text));
  const { scoreChunk } = await load('scoring/score-chunk.js');
  parentPort.postMessage(await passes(workerData.passes, async () => {
    for (const c of chunks) await scoreChunk(c.bytes, c.firstLine, plan, models);
  }));
} else {
  const args = process.argv.slice(2);
  const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
  const rows = Number(option('--rows', '100000'));
  const count = Number(option('--passes', '12'));
  const text = spawnSync(process.execPath, [join(root, 'bin/batch-infer.js'), 'generate', '--rows', String(rows)], { maxBuffer: 2 ** 31 }).stdout;
  const { plan, models, chunks } = await setUp(text);
  const { parseCsvChunkFast } = await load('scoring/parse/fast-csv.js');
  const { parseCsvChunk } = await load('scoring/parse/parse-chunk.js');
  const { scoreChunk } = await load('scoring/score-chunk.js');
  console.log(`${rows} rows in ${chunks.length} chunks, ${count} passes each`);
  console.log(`fast CSV path (one thread):   ${await passes(count, () => chunks.forEach((c) => parseCsvChunkFast(c.bytes, c.firstLine, plan)))}`);
  console.log(`csv-parse (one thread):       ${await passes(Math.min(count, 4), () => chunks.forEach((c) => parseCsvChunk(c.bytes, c.firstLine, plan)))}`);
  // Formatting alone: each chunk's pass-through bytes and a score column like the fixture model's (0.0003-0.0008,
  // most needing 7 or 8 significant digits), with its flag column, as scoreChunk formats them.
  const { formatCsvRows } = await load('scoring/format/wasm-format.js');
  const parsed = chunks.map((c) => parseCsvChunkFast(c.bytes, c.firstLine, plan));
  const columns = parsed.map((p) => [
    { values: Float32Array.from({ length: p.rows }, (_, r) => 0.0003 + ((r * 2654435761) % 1000003) / 2e9), width: 1, offset: 0 },
    { values: new Uint8Array(p.rows), width: 1, offset: 0 },
  ]);
  console.log(`row formatting (one thread):  ${await passes(count, () => parsed.forEach((p, i) => formatCsvRows(p.passthrough, p.passthroughEnds, true, p.rows, columns[i])))}`);
  console.log(`scoreChunk (one thread):      ${await passes(count, async () => { for (const c of chunks) await scoreChunk(c.bytes, c.firstLine, plan, models); })}`);
  for (const threads of [1, 2]) {
    const workers = Array.from({ length: threads }, () => new Worker(fileURLToPath(import.meta.url), { workerData: { text, passes: count } }));
    const results = await Promise.all(workers.map((w) => new Promise((resolve, reject) => w.once('message', resolve).once('error', reject))));
    await Promise.all(workers.map((w) => w.terminate()));
    console.log(`scoreChunk in ${threads} worker thread${threads === 1 ? ' ' : 's'} at once: ${results.join(' | ')}`);
  }
}
