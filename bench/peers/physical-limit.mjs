#!/usr/bin/env node
// The physical limit for the peer benchmark: the best single-thread inference throughput of the model on
// tensors already in memory (the best chunk size of a sweep), times the machine's cores. No parsing, no
// formatting, no threads: what the cores could do if everything else were free.
// Usage: node bench/peers/physical-limit.mjs MODEL.onnx FEATURES [--rows N] -> prints JSON
import { availableParallelism } from 'node:os';
import ort from 'onnxruntime-node';

const [model, widthText] = process.argv.slice(2);
const rows = Number(process.argv.includes('--rows') ? process.argv[process.argv.indexOf('--rows') + 1] : 100000);
const width = Number(widthText);
const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
const input = session.inputNames[0];
const features = new Float32Array(rows * width);
let seed = 1;
for (let i = 0; i < features.length; i++) features[i] = ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 100;
const results = [];
for (let size = 256; size <= Math.min(65536, rows); size *= 2) {
  const times = [];
  for (let repeat = 0; repeat < 4; repeat++) {
    const start = performance.now();
    for (let at = 0; at < rows; at += size) {
      const n = Math.min(size, rows - at);
      await session.run({ [input]: new ort.Tensor('float32', features.subarray(at * width, (at + n) * width), [n, width]) });
    }
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  results.push({ chunkSize: size, bestMs: times[0], rowsPerSec: (rows / times[0]) * 1000 });
}
const best = results.reduce((a, b) => (b.rowsPerSec > a.rowsPerSec ? b : a));
const cores = availableParallelism();
process.stdout.write(`${JSON.stringify({ rows, cores, bestChunkSize: best.chunkSize, singleThreadRowsPerSec: best.rowsPerSec, limitRowsPerSec: best.rowsPerSec * cores, sweep: results })}\n`);
