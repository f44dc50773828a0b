#!/usr/bin/env node
// The physical limit for the peer benchmark: the best single-thread inference throughput of the model on
// tensors already in memory (the best chunk size of a sweep), times the machine's cores. No parsing, no
// formatting, no threads: what the cores could do if everything else were free.
//
// Also what the cores do in fact: one worker thread per core, each scoring its share of the same tensors at that
// chunk size, all at once (still no parsing, no formatting, nothing on the main thread). Two inference threads
// share the caches and memory bandwidth, so this is slower than the limit: the part of the gap to the limit that
// no amount of work outside inference can close.
// Usage: node bench/peers/physical-limit.mjs MODEL.onnx FEATURES [--rows N] -> prints JSON
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';

const SESSION_OPTIONS = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };

/** The same pseudo-random features on every thread. */
function features(rows, width) {
  const values = new Float32Array(rows * width);
  let seed = 1;
  for (let i = 0; i < values.length; i++) values[i] = ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 100;
  return values;
}

/** One pass over `rows` rows in calls of `size` rows; its wall time in ms. */
async function pass(session, values, rows, width, size) {
  const input = session.inputNames[0];
  const start = performance.now();
  for (let at = 0; at < rows; at += size) {
    const n = Math.min(size, rows - at);
    await session.run({ [input]: new ort.Tensor('float32', values.subarray(at * width, (at + n) * width), [n, width]) });
  }
  return performance.now() - start;
}

if (!isMainThread) {
  // A concurrent-inference thread: loads the model, warms up, then runs a pass whenever asked.
  const { model, rows, width, size } = workerData;
  const session = await ort.InferenceSession.create(model, SESSION_OPTIONS);
  const values = features(rows, width);
  await pass(session, values, rows, width, size);
  parentPort.on('message', async () => parentPort.postMessage(await pass(session, values, rows, width, size)));
  parentPort.postMessage('ready');
} else {
  const [model, widthText] = process.argv.slice(2);
  const rows = Number(process.argv.includes('--rows') ? process.argv[process.argv.indexOf('--rows') + 1] : 100000);
  const width = Number(widthText);
  const session = await ort.InferenceSession.create(model, SESSION_OPTIONS);
  const values = features(rows, width);
  const results = [];
  for (let size = 256; size <= Math.min(65536, rows); size *= 2) {
    const times = [];
    for (let repeat = 0; repeat < 4; repeat++) times.push(await pass(session, values, rows, width, size));
    times.sort((a, b) => a - b);
    results.push({ chunkSize: size, bestMs: times[0], rowsPerSec: (rows / times[0]) * 1000 });
  }
  await session.release();
  const best = results.reduce((a, b) => (b.rowsPerSec > a.rowsPerSec ? b : a));
  const cores = availableParallelism();

  const threads = Array.from({ length: cores }, () => new Worker(new URL(import.meta.url), { workerData: { model, rows: Math.ceil(rows / cores), width, size: best.chunkSize } }));
  await Promise.all(threads.map((thread) => new Promise((resolve) => thread.once('message', resolve))));
  const concurrentTimes = [];
  for (let repeat = 0; repeat < 6; repeat++) {
    const start = performance.now();
    await Promise.all(threads.map((thread) => new Promise((resolve) => (thread.once('message', resolve), thread.postMessage('go')))));
    concurrentTimes.push(performance.now() - start);
  }
  await Promise.all(threads.map((thread) => thread.terminate()));
  concurrentTimes.sort((a, b) => a - b);
  const concurrent = { threads: cores, chunkSize: best.chunkSize, bestMs: concurrentTimes[0], medianMs: concurrentTimes[concurrentTimes.length >> 1], rowsPerSec: (rows / concurrentTimes[0]) * 1000 };
  process.stdout.write(`${JSON.stringify({ rows, cores, bestChunkSize: best.chunkSize, singleThreadRowsPerSec: best.rowsPerSec, limitRowsPerSec: best.rowsPerSec * cores, sweep: results, concurrent })}\n`);
}
