import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ExitCode, exitStatusOf } from '../../src/errors.js';
import { FakeV2Server, makeRowsCsv, type FakeV2Options } from '../helpers/fake-v2-server.js';
import { readCsv } from '../helpers/golden.js';
import { tempDir } from '../helpers/paths.js';
import { startCli, waitFor } from '../helpers/spawn.js';

const ROWS = 6000;
const BASE: FakeV2Options = { model: 'summer', input: 'x', output: 'y', datatype: 'FP32', width: 2 };

interface Outcome {
  code: number | null;
  stderr: string;
  output: string;
  rows: Record<string, string>[];
  rejects: Record<string, string>[];
  timing: Record<string, number> | undefined;
}

/** The manifest the fake server's model fits: `a` and `b` into `x`, `y` out as column `y`, `id` passed through. */
function writeManifest(dir: string, extra: Record<string, unknown> = {}, output: Record<string, unknown> = {}): string {
  const file = join(dir, 'manifest.json');
  const model = { name: 'summer', path: 'summer.onnx', inputs: [{ name: 'x', columns: ['a', 'b'] }], outputs: [{ name: 'y', columns: ['y'], ...output }], ...extra };
  writeFileSync(file, JSON.stringify({ passthrough: ['id'], models: [model] }));
  return file;
}

/** Scores ROWS rows against `server`, and checks that every row came out once: scored or rejected. */
async function runAgainst(t: { after: (fn: () => void) => void }, server: FakeV2Server, args: string[], options: { manifest?: string; expected?: (id: number) => number; during?: () => Promise<void> } = {}): Promise<Outcome> {
  const dir = tempDir(t);
  const input = join(dir, 'in.csv');
  writeFileSync(input, makeRowsCsv(ROWS));
  const files = { out: join(dir, 'out.csv'), rejects: join(dir, 'rejects.csv'), timing: join(dir, 'timing.json') };
  const manifest = options.manifest ?? writeManifest(dir);
  const run = startCli(['run', input, '-m', manifest, '--endpoint', server.url, '-c', '500', '-o', files.out, '--rejects', files.rejects, '--timing-json', files.timing, '--max-rejects', '100%', '--no-warm-up', ...args]);
  await options.during?.();
  const result = await run.done;
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  const rows = read(files.out) === '' ? [] : readCsv(read(files.out));
  const rejects = read(files.rejects) === '' ? [] : readCsv(`line,reason,record\n${read(files.rejects).replace(/^line,reason,record\n/, '')}`);
  const timingText = read(files.timing);
  const outcome = { code: result.code, stderr: result.stderr, output: read(files.out), rows, rejects, timing: timingText === '' ? undefined : (JSON.parse(timingText) as Record<string, number>) };
  if (result.code === 0 || result.code === ExitCode.rowsRejected) {
    // Rows in = rows out + rejects, each id exactly once, and each scored row's value is its own.
    const ids = [...rows.map((r) => Number(r.id)), ...rejects.map((r) => Number(r.record!.split(',')[0]))].sort((a, b) => a - b);
    assert.deepEqual(ids, Array.from({ length: ROWS }, (_, i) => i), 'every row once, scored or rejected');
    const expected = options.expected ?? ((id: number) => id + (id % 7));
    for (const row of rows) assert.equal(Math.fround(Number(row.y)), Math.fround(expected(Number(row.id))), `row ${row.id}`);
  }
  return outcome;
}

async function startServer(t: { after: (fn: () => Promise<void>) => void }, options: Partial<FakeV2Options> = {}): Promise<FakeV2Server> {
  const server = new FakeV2Server({ ...BASE, ...options });
  await server.start();
  t.after(() => server.stop());
  return server;
}

describe('--endpoint against a fake V2 server that counts what it gets', () => {
  it('puts --concurrency requests in flight at once (8 with 2 workers), each with its own request id', async (t) => {
    const server = await startServer(t, { delayMs: 150 });
    const outcome = await runAgainst(t, server, ['--concurrency', '8', '-w', '2']);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(server.maxInFlight, 8, `most requests in flight: ${server.maxInFlight}`);
    assert.equal(new Set(server.ids).size, server.requests, 'request ids are unique');
    assert.equal(outcome.timing?.requests, server.requests, 'the timing counts the requests');
  });

  it('sends no more than --concurrency requests at once (3 with 1 worker)', async (t) => {
    const server = await startServer(t, { delayMs: 100 });
    const outcome = await runAgainst(t, server, ['--concurrency', '3', '-w', '1']);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(server.maxInFlight, 3);
  });

  it('sends each sub-batch as binary tensors when the server lists the extension, every row to its own answer', async (t) => {
    const server = await startServer(t, { isBinary: true, delayMs: 100 });
    const outcome = await runAgainst(t, server, ['--concurrency', '4', '-w', '2']);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(server.maxInFlight, 4);
    assert.equal(outcome.rows.length, ROWS);
  });

  it("rejects the rows of the one chunk the server keeps failing (500), with the server's message, and scores the rest", async (t) => {
    const server = await startServer(t, {
      failWhen: (rows) => (rows.some((row) => row[0] === 1234) ? { status: 500, contentType: 'application/json', body: JSON.stringify({ error: 'model crashed on\nrow 1234' }) } : undefined),
    });
    const metrics = join(tempDir(t), 'batch-infer.prom');
    const outcome = await runAgainst(t, server, ['--retries', '2', '--concurrency', '4', '--metrics-file', metrics]);
    assert.equal(outcome.code, ExitCode.rowsRejected, outcome.stderr);
    assert.match(readFileSync(metrics, 'utf8'), /^batch_infer_last_run_remote_request_retries\{command="run"\} 2$/m);
    assert.match(readFileSync(metrics, 'utf8'), /^batch_infer_last_run_remote_chunks_refused\{command="run"\} 1$/m);
    assert.equal(outcome.rejects.length, 500, 'the chunk of rows 1000-1499');
    assert.ok(outcome.rejects.every((r) => Number(r.record!.split(',')[0]) >= 1000 && Number(r.record!.split(',')[0]) < 1500));
    assert.equal(outcome.rejects[0]!.reason, "inference failed: model 'summer': HTTP 500 after 3 tries: model crashed on row 1234");
    assert.equal(outcome.timing?.requestRetries, 2, 'each retry of the failing request is counted');
    assert.equal(outcome.timing?.chunksRefused, 1);
    assert.match(outcome.stderr, /requests +\d+ sent, 2 retried; 1 chunks refused/);
  });

  it("reduces an HTML error page to its title on one line in the rejects' reason", async (t) => {
    const page = '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title><style>body{}</style></head>\n<body><h1>Bad Gateway</h1><p>upstream gone</p></body></html>';
    const server = await startServer(t, { failWhen: (rows) => (rows.some((row) => row[0] === 10) ? { status: 502, contentType: 'text/html', body: page } : undefined) });
    const outcome = await runAgainst(t, server, ['--retries', '0']);
    assert.equal(outcome.code, ExitCode.rowsRejected, outcome.stderr);
    assert.equal(outcome.rejects.length, 500);
    assert.equal(outcome.rejects[0]!.reason, "inference failed: model 'summer': HTTP 502: 502 Bad Gateway");
  });

  it("rejects the rows of a chunk whose answer carries another request's id", async (t) => {
    const server = await startServer(t, { answerId: (id, rows) => (rows.some((row) => row[0] === 4321) ? 'someone-else' : id) });
    const outcome = await runAgainst(t, server, ['--retries', '0']);
    assert.equal(outcome.code, ExitCode.rowsRejected, outcome.stderr);
    assert.equal(outcome.rejects.length, 500);
    assert.match(outcome.rejects[0]!.reason!, /^inference failed: model 'summer': POST \/v2\/models\/summer\/infer: the answer is for request 'someone-else', not 'summer-\d+-\d+'$/);
  });

  it('fails the run as unavailable (69) when the server refuses every chunk', async (t) => {
    const server = await startServer(t, { failWhen: () => ({ status: 503, contentType: 'text/plain', body: 'overloaded' }) });
    const outcome = await runAgainst(t, server, ['--retries', '0']);
    assert.equal(outcome.code, exitStatusOf('REMOTE_UNAVAILABLE'), outcome.stderr);
    assert.match(outcome.stderr, /the server refused every chunk \(12\); the first: model 'summer': HTTP 503: overloaded/);
  });

  it('waits for slow answers within the request timeout', async (t) => {
    const server = await startServer(t, { delayMs: 400 });
    const outcome = await runAgainst(t, server, ['--request-timeout', '5s', '--concurrency', '4']);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(outcome.rows.length, ROWS);
    assert.equal(outcome.timing?.requestRetries, 0);
  });

  it('loses and duplicates no row when the server restarts mid-run: waits until it is ready, then goes on', async (t) => {
    const server = await startServer(t, { delayMs: 60 });
    const outcome = await runAgainst(t, server, ['--concurrency', '4', '--retries', '3', '--request-timeout', '10s', '--log-format', 'json'], {
      during: async () => {
        await waitFor(() => server.requests >= 10);
        await server.restart(1500);
      },
    });
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(outcome.rows.length, ROWS);
    assert.ok((outcome.timing?.requestRetries ?? 0) > 0, 'the requests cut by the restart were retried');
  });

  it('fails the run as unavailable (69) when the server goes away mid-run and does not come back within the retries', async (t) => {
    const server = await startServer(t, { delayMs: 60 });
    const outcome = await runAgainst(t, server, ['--concurrency', '2', '--retries', '1', '--request-timeout', '1s'], {
      during: async () => {
        await waitFor(() => server.requests >= 4);
        await server.stop();
      },
    });
    assert.equal(outcome.code, exitStatusOf('REMOTE_UNAVAILABLE'), outcome.stderr);
    assert.match(outcome.stderr, /\/v2\/models\/summer\/infer: (ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET|other side closed) after 2 tries/);
  });
});

describe('--endpoint with the manifest mapping the server names and datatypes', () => {
  const mapped = (datatype?: string): Record<string, unknown> => ({
    remote: { name: 'clf', inputs: { x: 'input-0' }, outputs: { y: datatype === undefined ? 'predict_proba' : { name: 'predict_proba', datatype } } },
  });
  const thirds = (row: number[]): number => (row[0]! + row[1]!) / 3;
  const named = { model: 'clf', input: 'input-0', output: 'predict_proba' };

  it('writes an FP64 answer converted to the declared float32 byte for byte as a float32 answer', async (t) => {
    const fp64 = await startServer(t, { ...named, datatype: 'FP64', answer: thirds });
    const fp32 = await startServer(t, { ...named, datatype: 'FP32', answer: (row) => Math.fround(thirds(row)) });
    const expected = (id: number): number => Math.fround((id + (id % 7)) / 3);
    const converted = await runAgainst(t, fp64, [], { manifest: writeManifest(tempDir(t), mapped('FP64'), { type: 'float32' }), expected });
    const native = await runAgainst(t, fp32, [], { manifest: writeManifest(tempDir(t), mapped(), { type: 'float32' }), expected });
    assert.equal(converted.code, 0, converted.stderr);
    assert.equal(native.code, 0, native.stderr);
    assert.equal(converted.output, native.output);
    // Without the declared type the FP64 answer is written as float64: the conversion is what makes them equal.
    const binary = await startServer(t, { ...named, datatype: 'FP64', answer: thirds, isBinary: true });
    const binaryConverted = await runAgainst(t, binary, [], { manifest: writeManifest(tempDir(t), mapped('FP64'), { type: 'float32' }), expected });
    assert.equal(binaryConverted.output, native.output, 'the same through the binary extension');
    const unconverted = await runAgainst(t, fp64, [], { manifest: writeManifest(tempDir(t), mapped('FP64')), expected: (id) => (id + (id % 7)) / 3 });
    assert.notEqual(unconverted.output, native.output);
  });

  it('refuses at start, in one line, an output whose datatype cannot be written (BOOL) or differs from the mapping', async (t) => {
    const bool = await startServer(t, { ...named, datatype: 'BOOL' });
    const refused = await runAgainst(t, bool, [], { manifest: writeManifest(tempDir(t), mapped()) });
    assert.equal(refused.code, ExitCode.config, refused.stderr);
    assert.equal(refused.stderr, `batch-infer: --endpoint: model 'clf' output 'predict_proba' is BOOL, which cannot be written as numbers (map an output with a numeric datatype)\n`);
    assert.equal(bool.requests, 0, 'no chunk was sent');
    const fp32 = await startServer(t, { ...named, datatype: 'FP32' });
    const differs = await runAgainst(t, fp32, [], { manifest: writeManifest(tempDir(t), mapped('FP64')) });
    assert.equal(differs.code, ExitCode.config, differs.stderr);
    assert.match(differs.stderr, /output 'predict_proba' is FP32 on the server, the manifest's remote mapping says FP64\n$/);
  });
});
