// Requests in flight and throughput of `run --endpoint` against the counting fake V2 server of the tests
// (test/helpers/fake-v2-server.ts; `npm run build` first). Prints one JSON line.
//   node bench/remote-in-flight.mjs [--bin bin/batch-infer.js] [--ms-per-row 0.05] [--fixed-ms 0] [--rows 40000]
//        [--chunk 2000] [--binary] -- <extra run flags, e.g. --concurrency 8 -w 2>
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchArgs } from './bench-args.mjs';

const split = process.argv.indexOf('--');
const values = parseBenchArgs(
  'usage: npm run build && node bench/remote-in-flight.mjs [--ms-per-row 0.05] [--fixed-ms 0] [--rows 40000] [--chunk 2000] [--binary] [-- batch-infer run flags]',
  {
    bin: { type: 'string', default: new URL('../bin/batch-infer.js', import.meta.url).pathname },
    'ms-per-row': { type: 'string', default: '0.05' },
    'fixed-ms': { type: 'string', default: '0' },
    rows: { type: 'string', default: '40000' },
    chunk: { type: 'string', default: '2000' },
    binary: { type: 'boolean', default: false },
  },
  process.argv.slice(2, split < 0 ? undefined : split),
);
const extra = split < 0 ? [] : process.argv.slice(split + 1);
const { FakeV2Server, makeRowsCsv } = await import(new URL('../dist/test/helpers/fake-v2-server.js', import.meta.url).href);
const server = new FakeV2Server({ model: 'summer', input: 'x', output: 'y', datatype: 'FP32', width: 2, delayMs: Number(values['fixed-ms']), msPerRow: Number(values['ms-per-row']), isBinary: values.binary });
await server.start();
const dir = mkdtempSync(join(tmpdir(), 'batch-infer-in-flight-'));
try {
  writeFileSync(join(dir, 'in.csv'), makeRowsCsv(Number(values.rows)));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ passthrough: ['id'], models: [{ name: 'summer', path: 'summer.onnx', inputs: [{ name: 'x', columns: ['a', 'b'] }], outputs: [{ name: 'y', columns: ['y'] }] }] }));
  const args = ['run', join(dir, 'in.csv'), '-m', join(dir, 'manifest.json'), '--endpoint', server.url, '-c', values.chunk, '-o', '/dev/null', '--timing-json', join(dir, 't.json'), '-q', ...extra];
  const child = spawn(process.execPath, [values.bin, ...args], { stdio: 'inherit' });
  const code = await new Promise((resolve) => child.on('close', resolve));
  const timing = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8'));
  console.log(JSON.stringify({ args: extra.join(' '), code, maxInFlight: server.maxInFlight, requests: server.requests, rowsPerSec: Math.round(timing.rowsPerSec), parallelMs: Math.round(timing.parallelMs) }));
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
