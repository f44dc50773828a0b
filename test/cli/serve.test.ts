import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runCli } from '../helpers/cli.js';
import { readCsv } from '../helpers/golden.js';
import { MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';
import { counterValue, get, post, send, startServe, waitFor, type Answer } from '../helpers/serve-process.js';

const MANIFEST = join(MODELS, 'manifest.json');
const snapshotText = readFileSync(SNAPSHOT, 'utf8');
const TOKEN = 'serve-test-token';
const AUTH = { Authorization: `Bearer ${TOKEN}` };

function snapshotAsNdjson(): string {
  const rows = readCsv(snapshotText);
  return rows.map((row) => JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, ['minute', 'target_id', 'transaction'].includes(k) ? v : Number(v)])))).join('\n');
}

/** The fixture with two broken records in the middle: run writes them as rejects. */
function snapshotWithRejects(): string {
  const lines = snapshotText.trimEnd().split('\n');
  lines.splice(100, 0, 'not,a,record');
  lines.splice(2000, 0, lines[1]!.replace(/,[^,]*$/, ',not-a-number'));
  return `${lines.join('\n')}\n`;
}

/** Every row ends as one output row or one reject, and the headers say so. */
function assertRowsAccounted(answer: Answer, rowsIn: number): void {
  assert.equal(answer.status, 200, answer.body.toString());
  const [inRows, out, rejected] = ['x-rows-in', 'x-rows-out', 'x-rows-rejected'].map((h) => Number(answer.headers[h]));
  assert.equal(inRows, rowsIn);
  assert.equal(out! + rejected!, inRows);
}

function errorCode(answer: Answer): string {
  return (JSON.parse(answer.body.toString()) as { error: { code: string } }).error.code;
}

describe('batch-infer serve', () => {
  it('answers live at once and ready only once every worker has loaded, then scores byte for byte as run, and drains on SIGTERM', async (t) => {
    const dir = tempDir(t);
    const serve = await startServe(['-m', MANIFEST, '--workers', '2', '--token-env', 'SERVE_TOKEN', '--max-body-bytes', '2000000', '--max-active', '1', '--max-queue', '0'], { SERVE_TOKEN: TOKEN });
    t.after(() => serve.child.kill('SIGKILL'));
    // Listening comes before the models are loaded (about a second on this machine).
    assert.equal((await get(serve.url, '/v2/health/live')).status, 200);
    assert.equal((await get(serve.url, '/v2/health/ready')).status, 503);
    await waitFor(() => /ready/.test(serve.stderr()), 60_000);
    assert.equal((await get(serve.url, '/v2/health/ready')).status, 200);

    // CSV, NDJSON (declared and sniffed), gzip: the bytes run writes for the same input.
    const local = runCli(['run', SNAPSHOT, '-m', MANIFEST, '-q']);
    assert.equal(local.code, 0, local.stderr);
    const csv = await post(serve.url, snapshotText, { ...AUTH, 'Content-Type': 'text/csv' });
    assertRowsAccounted(csv, 5000);
    assert.equal(csv.body.toString(), local.stdout);
    assert.match(String(csv.headers['server-timing']), /score;dur=[\d.]+.*infer-autoencoder;dur=[\d.]+.*total;dur=/);
    const ndjsonFile = join(dir, 'snapshot.ndjson');
    writeFileSync(ndjsonFile, snapshotAsNdjson());
    const localNdjson = runCli(['run', ndjsonFile, '-m', MANIFEST, '-q', '--output-format', 'ndjson']);
    const ndjson = await post(serve.url, readFileSync(ndjsonFile), { ...AUTH, 'Content-Type': 'application/x-ndjson', Accept: 'application/x-ndjson' });
    assertRowsAccounted(ndjson, 5000);
    assert.equal(ndjson.body.toString(), localNdjson.stdout);
    const sniffed = await post(serve.url, readFileSync(ndjsonFile), { ...AUTH }, '/v1/score?format=ndjson');
    assert.equal(sniffed.body.toString(), localNdjson.stdout);
    const gzipped = await post(serve.url, gzipSync(snapshotText), { ...AUTH, 'Content-Encoding': 'gzip' });
    assertRowsAccounted(gzipped, 5000);
    assert.equal(gzipped.body.toString(), local.stdout);

    // Rejects: the predictions alone by default; with Accept: application/json, both, as run writes them.
    const withRejects = join(dir, 'rejects-in.csv');
    writeFileSync(withRejects, snapshotWithRejects());
    const localRejects = join(dir, 'rejects.csv');
    const localWithRejects = runCli(['run', withRejects, '-m', MANIFEST, '-q', '--rejects', localRejects]);
    assert.equal(localWithRejects.code, 1, localWithRejects.stderr);
    const plain = await post(serve.url, readFileSync(withRejects), AUTH);
    assertRowsAccounted(plain, 5002);
    assert.equal(plain.headers['x-rows-rejected'], '2');
    assert.equal(plain.body.toString(), localWithRejects.stdout);
    const envelope = await post(serve.url, readFileSync(withRejects), { ...AUTH, Accept: 'application/json' });
    const parsed = JSON.parse(envelope.body.toString()) as { rowsIn: number; rowsOut: number; rowsRejected: number; predictions: string; rejects: string };
    assert.equal(parsed.predictions, localWithRejects.stdout);
    assert.equal(parsed.rejects, readFileSync(localRejects, 'utf8'));
    assert.equal(parsed.rowsIn, parsed.rowsOut + parsed.rowsRejected);

    // The refusals, each a status and one line of JSON with a code.
    const noToken = await post(serve.url, snapshotText);
    assert.equal(noToken.status, 401);
    assert.equal(noToken.headers['www-authenticate'], 'Bearer');
    assert.equal((await post(serve.url, snapshotText, { Authorization: 'Bearer serve-test-tokeN' })).status, 401);
    assert.equal((await get(serve.url, '/metrics')).status, 401);
    const tooLong = await send(serve.url, { headers: { ...AUTH, 'Content-Length': '2000001' } });
    assert.equal(tooLong.status, 413);
    assert.equal(errorCode(tooLong), 'BODY_TOO_LARGE');
    // Without a Content-Length, the limit is found while reading.
    const chunked = await send(serve.url, { headers: { ...AUTH, 'Transfer-Encoding': 'chunked' }, pieces: [{ bytes: snapshotText }, { bytes: snapshotText }, { bytes: snapshotText }, { bytes: snapshotText }] });
    assert.equal(chunked.status, 413, chunked.body.toString());
    const badHeader = await post(serve.url, 'a,b\n1,2\n', AUTH);
    assert.equal(badHeader.status, 400);
    assert.match(badHeader.body.toString(), /^\{"error":\{"code":"INPUT_HEADER","message":"request body: line 1: column '\w+'.*is not in the header"\}\}\n$/);
    assert.equal((await post(serve.url, snapshotText, AUTH, '/v1/score?format=xml')).status, 400);
    assert.equal((await post(serve.url, snapshotText, { ...AUTH, 'Content-Encoding': 'br' })).status, 400);
    assert.equal((await post(serve.url, snapshotText, AUTH, '/v1/score?deadline=soon')).status, 400);
    assert.equal((await get(serve.url, '/v1/score', AUTH)).status, 405);
    assert.equal((await get(serve.url, '/nowhere', AUTH)).status, 404);

    // A client that goes away mid-body gives its turn back: with one turn and no queue, the next request is scored.
    const leaving = request(new URL('/v1/score', serve.url), { method: 'POST', agent: false, headers: { ...AUTH, 'Content-Length': String(snapshotText.length) } });
    leaving.on('error', () => undefined);
    leaving.write(snapshotText.slice(0, 200_000));
    await new Promise((resolve) => setTimeout(resolve, 300));
    leaving.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assertRowsAccounted(await post(serve.url, snapshotText, AUTH), 5000);

    // One snapshot at a time and no queue: a second request while the first is still arriving is a 503.
    let finishFirst: () => void = () => undefined;
    const firstHeld = new Promise<void>((resolve) => (finishFirst = resolve));
    const [head, tail] = [snapshotText.slice(0, 300_000), snapshotText.slice(300_000)];
    const first = send(serve.url, { headers: { ...AUTH, 'Content-Length': String(snapshotText.length) }, pieces: [{ bytes: head }, { bytes: tail, before: firstHeld }] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = await post(serve.url, snapshotText, AUTH);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(errorCode(refused), 'QUEUE_FULL');

    // SIGTERM while that first request's body is still arriving: it completes, then the process exits 0.
    serve.child.kill('SIGTERM');
    await waitFor(() => /SIGTERM: no new requests/.test(serve.stderr()), 10_000);
    finishFirst();
    const completed = await first;
    assertRowsAccounted(completed, 5000);
    assert.equal(completed.body.toString(), local.stdout);
    const exit = await serve.done;
    assert.equal(exit.code, 0, exit.stderr);
  });

  it('retries the chunk of a worker that crashed mid-request, as run does, and answers the same bytes', async (t) => {
    const serve = await startServe(['-m', MANIFEST, '--workers', '2', '-c', '1000'], { BATCH_INFER_FAULT: 'exit@2x1' });
    t.after(() => serve.child.kill('SIGKILL'));
    const local = runCli(['run', SNAPSHOT, '-m', MANIFEST, '-q']);
    for (let i = 0; i < 2; i++) {
      const answer = await post(serve.url, snapshotText);
      assertRowsAccounted(answer, 5000);
      assert.equal(answer.headers['x-rows-rejected'], '0');
      assert.equal(answer.body.toString(), local.stdout);
    }
    const metrics = (await get(serve.url, '/metrics')).body.toString();
    assert.equal(counterValue(metrics, 'batch_infer_serve_chunk_retries_total'), 2);
    assert.equal(counterValue(metrics, 'batch_infer_serve_rows_total', 'outcome="in"'), 10_000);
    serve.child.kill('SIGTERM');
    assert.equal((await serve.done).code, 0);
  });

  it('reloads the models on SIGHUP under load without failing a request, and logs one JSON line per request', async (t) => {
    const serve = await startServe(['-m', join(MODELS, 'autoencoder.manifest.json'), '--workers', '2', '--log-format', 'json']);
    t.after(() => serve.child.kill('SIGKILL'));
    await waitFor(() => /"event":"ready"/.test(serve.stderr()), 60_000);
    const local = runCli(['run', SNAPSHOT, '-m', join(MODELS, 'autoencoder.manifest.json'), '-q']);
    let isLoading = true;
    const answers: Answer[] = [];
    const clients = Array.from({ length: 3 }, async () => {
      while (isLoading) answers.push(await post(serve.url, snapshotText));
    });
    try {
      for (let reload = 1; reload <= 3; reload++) {
        serve.child.kill('SIGHUP');
        await waitFor(() => (serve.stderr().match(/"event":"reloaded"/g) ?? []).length === reload, 60_000);
      }
    } finally {
      isLoading = false;
      await Promise.all(clients);
    }
    assert.ok(answers.length >= 3, `only ${answers.length} requests during the reloads`);
    for (const answer of answers) {
      assertRowsAccounted(answer, 5000);
      assert.equal(answer.body.toString(), local.stdout);
    }
    const metrics = (await get(serve.url, '/metrics')).body.toString();
    assert.equal(counterValue(metrics, 'batch_infer_serve_pool_reloads_total', 'result="ok"'), 3);
    assert.equal(counterValue(metrics, 'batch_infer_serve_requests_total', 'status="200"'), answers.length);
    serve.child.kill('SIGTERM');
    const exit = await serve.done;
    assert.equal(exit.code, 0);
    const requests = exit.stderr.split('\n').filter((line) => line.includes('"event":"request"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    const scored = requests.filter((r) => r.route === 'score');
    assert.equal(scored.length, answers.length);
    assert.ok(scored.every((r) => r.status === 200 && r.rowsIn === 5000 && r.rowsOut === 5000 && r.rowsRejected === 0));
  });

  it('answers 503 and exits 0 soon after --shutdown-grace when a request is stuck on a worker at SIGTERM', async (t) => {
    const serve = await startServe(['-m', join(MODELS, 'autoencoder.manifest.json'), '--workers', '1', '--shutdown-grace', '1s', '--log-format', 'json'], { BATCH_INFER_FAULT: 'hang@0' });
    t.after(() => serve.child.kill('SIGKILL'));
    await waitFor(() => /"event":"ready"/.test(serve.stderr()), 60_000);
    const stuck = post(serve.url, snapshotText);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const signalledAt = Date.now();
    serve.child.kill('SIGTERM');
    const never = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit 20 s after SIGTERM: ${serve.stderr()}`)), 20_000).unref());
    const exit = await Promise.race([serve.done, never]);
    const exitMs = Date.now() - signalledAt;
    const answer = await Promise.race([stuck, never]);
    assert.equal(answer.status, 503, answer.body.toString());
    assert.equal(errorCode(answer), 'SHUTTING_DOWN');
    assert.equal(exit.code, 0, exit.stderr);
    // The grace (1 s), then the hung worker is stopped at once rather than waited for.
    assert.ok(exitMs >= 1000 && exitMs < 4000, `exited ${exitMs} ms after SIGTERM`);
  });

  it('answers a V2 infer stuck on a worker at SIGTERM with 503 after --shutdown-grace, refuses new work, and exits 0', async (t) => {
    const body = JSON.stringify({ inputs: [{ name: 'metrics', datatype: 'FP32', shape: [1, 14], data: [Array(14).fill(1)] }] });
    const serve = await startServe(['-m', join(MODELS, 'autoencoder.manifest.json'), '--workers', '1', '--shutdown-grace', '1s', '--log-format', 'json'], { BATCH_INFER_FAULT: 'hang@infer' });
    t.after(() => serve.child.kill('SIGKILL'));
    await waitFor(() => /"event":"ready"/.test(serve.stderr()), 60_000);
    const stuck = post(serve.url, body, { 'Content-Type': 'application/json' }, '/v2/models/autoencoder/infer');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const signalledAt = Date.now();
    serve.child.kill('SIGTERM');
    // Within the grace, a new request is not taken: refused at the socket, or answered 503. (post() reports a
    // socket error after an unref'd second: this interval keeps the test's event loop alive until then.)
    const keepAlive = setInterval(() => undefined, 100);
    t.after(() => clearInterval(keepAlive));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const late = await post(serve.url, body, { 'Content-Type': 'application/json' }, '/v2/models/autoencoder/infer').catch((error: NodeJS.ErrnoException) => error.code);
    assert.ok(late === 'ECONNREFUSED' || late === 'ECONNRESET' || (typeof late === 'object' && late.status === 503), `a request after SIGTERM: ${typeof late === 'object' ? late.status : late}`);
    const never = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit 20 s after SIGTERM: ${serve.stderr()}`)), 20_000).unref());
    const exit = await Promise.race([serve.done, never]);
    const exitMs = Date.now() - signalledAt;
    const answer = await Promise.race([stuck, never]);
    assert.equal(answer.status, 503, answer.body.toString());
    assert.match(answer.body.toString(), /"code":"SHUTTING_DOWN"/);
    assert.equal(exit.code, 0, exit.stderr);
    assert.ok(exitMs >= 1000 && exitMs < 4000, `exited ${exitMs} ms after SIGTERM`);
  });

  it('serves with --isolation process: the same bytes as run, V2 infer included, and exits 0 on SIGTERM', async (t) => {
    const serve = await startServe(['-m', MANIFEST, '--workers', '2', '--isolation', 'process']);
    t.after(() => serve.child.kill('SIGKILL'));
    await waitFor(() => /ready/.test(serve.stderr()), 60_000);
    const local = runCli(['run', SNAPSHOT, '-m', MANIFEST, '-q']);
    const scored = await post(serve.url, snapshotText);
    assertRowsAccounted(scored, 5000);
    assert.equal(scored.body.toString(), local.stdout);
    const remote = runCli(['run', SNAPSHOT, '-m', MANIFEST, '-q', '--endpoint', serve.url]);
    assert.equal(remote.code, 0, remote.stderr);
    assert.equal(remote.stdout, local.stdout);
    serve.child.kill('SIGTERM');
    assert.equal((await serve.done).code, 0);
  });

  it('keeps serving on the old pool after a SIGHUP reload fails (bad JSON, a missing model, a model onnxruntime refuses), and reloads once the manifest is fixed', async (t) => {
    const dir = tempDir(t);
    const manifest = join(dir, 'manifest.json');
    const good = readFileSync(join(MODELS, 'autoencoder.manifest.json'), 'utf8');
    copyFileSync(join(MODELS, 'autoencoder.onnx'), join(dir, 'autoencoder.onnx'));
    writeFileSync(join(dir, 'junk.onnx'), 'this is not an ONNX model');
    writeFileSync(manifest, good);
    const serve = await startServe(['-m', manifest, '--workers', '1', '--log-format', 'json']);
    t.after(() => serve.child.kill('SIGKILL'));
    await waitFor(() => /"event":"ready"/.test(serve.stderr()), 60_000);
    const before = await post(serve.url, snapshotText);
    assertRowsAccounted(before, 5000);
    const events = (name: string): Record<string, unknown>[] =>
      serve.stderr().split('\n').filter((line) => line.includes(`"event":"${name}"`)).map((line) => JSON.parse(line) as Record<string, unknown>);
    const broken: [string, RegExp][] = [
      ['{"version": 1, "models": [', /not valid JSON/],
      [good.replace('autoencoder.onnx', 'missing.onnx'), /missing\.onnx.*(?:doesn't exist|No such file|not found)/i],
      [good.replace('autoencoder.onnx', 'junk.onnx'), /junk\.onnx.*cannot load/],
    ];
    for (const [i, [text, why]] of broken.entries()) {
      writeFileSync(manifest, text);
      serve.child.kill('SIGHUP');
      await waitFor(() => events('reload-failed').length === i + 1, 30_000);
      assert.match(String(events('reload-failed')[i]!.message), why);
      const after = await post(serve.url, snapshotText);
      assertRowsAccounted(after, 5000);
      assert.equal(after.body.toString(), before.body.toString());
      assert.equal((await get(serve.url, '/v2/health/ready')).status, 200);
      assert.equal(serve.child.exitCode, null);
    }
    writeFileSync(manifest, good);
    serve.child.kill('SIGHUP');
    await waitFor(() => events('reloaded').length === 1, 60_000);
    assert.equal((await post(serve.url, snapshotText)).body.toString(), before.body.toString());
    const metrics = (await get(serve.url, '/metrics')).body.toString();
    assert.equal(counterValue(metrics, 'batch_infer_serve_pool_reloads_total', 'result="failed"'), 3);
    assert.equal(counterValue(metrics, 'batch_infer_serve_pool_reloads_total', 'result="ok"'), 1);
    serve.child.kill('SIGTERM');
    assert.equal((await serve.done).code, 0);
  });

  it('tries a V2 infer whose worker crashed again on the replacement worker, and answers what run computes for the same rows', async (t) => {
    const aeManifest = join(MODELS, 'autoencoder.manifest.json');
    const columns = (JSON.parse(readFileSync(aeManifest, 'utf8')) as { models: { inputs: { columns: string[] }[] }[] }).models[0]!.inputs[0]!.columns;
    const rows = readCsv(snapshotText).slice(0, 3);
    const body = JSON.stringify({ inputs: [{ name: 'metrics', datatype: 'FP32', shape: [rows.length, columns.length], data: rows.map((row) => columns.map((c) => Number(row[c]))) }] });
    // The first try of every infer exits its worker (one worker: the answer is the replacement's).
    const serve = await startServe(['-m', aeManifest, '--workers', '1', '--chunk-timeout', '5s', '--retries', '1'], { BATCH_INFER_FAULT: 'exit@inferx1' });
    t.after(() => serve.child.kill('SIGKILL'));
    await waitFor(() => /ready/.test(serve.stderr()), 60_000);
    const answer = await post(serve.url, body, { 'Content-Type': 'application/json' }, '/v2/models/autoencoder/infer');
    assert.equal(answer.status, 200, answer.body.toString());
    const scores = (JSON.parse(answer.body.toString()) as { outputs: { data: number[] }[] }).outputs[0]!.data;
    const header = snapshotText.slice(0, snapshotText.indexOf('\n') + 1);
    const dir = tempDir(t);
    writeFileSync(join(dir, 'rows.csv'), header + snapshotText.split('\n').slice(1, rows.length + 1).join('\n') + '\n');
    const local = readCsv(runCli(['run', join(dir, 'rows.csv'), '-m', aeManifest, '-q']).stdout);
    assert.deepEqual(scores.map((v) => Math.fround(v)), local.map((row) => Math.fround(Number(row.ae_score))));
    serve.child.kill('SIGTERM');
    assert.equal((await serve.done).code, 0);
  });

  it('answers a V2 infer whose worker crashed with a 503 and one line of JSON, replaces the worker, and answers the next request', async (t) => {
    const body = JSON.stringify({ inputs: [{ name: 'metrics', datatype: 'FP32', shape: [2, 14], data: [Array.from({ length: 14 }, (_, i) => i / 7), Array(14).fill(2)] }] });
    // Infer tasks exit their worker; chunks of /v1/score do not. One worker: an answer after the crash is the replacement's.
    // The fault exits the thread right after it announces its task, and that announcement can be lost with the thread:
    // then only --chunk-timeout notices (a real crash, inside onnxruntime, comes long after the announcement).
    const serve = await startServe(['-m', join(MODELS, 'autoencoder.manifest.json'), '--workers', '1', '--log-format', 'json', '--chunk-timeout', '5s'], { BATCH_INFER_FAULT: 'exit@infer' });
    t.after(() => serve.child.kill('SIGKILL'));
    await waitFor(() => /"event":"ready"/.test(serve.stderr()), 60_000);
    const local = runCli(['run', SNAPSHOT, '-m', join(MODELS, 'autoencoder.manifest.json'), '-q']);
    for (let i = 0; i < 2; i++) {
      const failed = await post(serve.url, body, { 'Content-Type': 'application/json' }, '/v2/models/autoencoder/infer');
      assert.equal(failed.status, 503, failed.body.toString());
      assert.equal(failed.headers['retry-after'], '1');
      assert.match(failed.body.toString(), /^\{"error":"model 'autoencoder': (?:worker exited \(code 7\)|no result within the chunk timeout)[^"]*","code":"WORKER_FAILED"\}\n$/);
      assert.equal((await get(serve.url, '/v2/health/ready')).status, 200);
      const scored = await post(serve.url, snapshotText);
      assertRowsAccounted(scored, 5000);
      assert.equal(scored.body.toString(), local.stdout);
    }
    assert.equal(serve.child.exitCode, null);
    serve.child.kill('SIGTERM');
    assert.equal((await serve.done).code, 0);
  });

  it('serves the Open Inference Protocol: run --endpoint against it writes the same bytes as a local run, and JSON tensors work', async (t) => {
    const serve = await startServe(['-m', MANIFEST, '--workers', '2']);
    t.after(() => serve.child.kill('SIGKILL'));
    await waitFor(() => /ready/.test(serve.stderr()), 60_000);
    const server = JSON.parse((await get(serve.url, '/v2')).body.toString()) as { extensions: string[] };
    assert.deepEqual(server.extensions, ['binary_tensor_data']);
    const local = runCli(['run', SNAPSHOT, '-m', MANIFEST, '-q']);
    const remote = runCli(['run', SNAPSHOT, '-m', MANIFEST, '-q', '--endpoint', serve.url]);
    assert.equal(remote.code, 0, remote.stderr);
    assert.equal(remote.stdout, local.stdout);
    const json = await post(serve.url, JSON.stringify({ inputs: [{ name: 'metrics', datatype: 'FP32', shape: [2, 14], data: [Array(14).fill(1), Array(14).fill(2)] }], outputs: [{ name: 'reconstruction_error' }] }), { 'Content-Type': 'application/json' }, '/v2/models/autoencoder/infer');
    assert.equal(json.status, 200, json.body.toString());
    const outputs = (JSON.parse(json.body.toString()) as { outputs: { name: string; shape: number[]; data: number[] }[] }).outputs;
    assert.deepEqual(outputs.map((o) => [o.name, o.shape, o.data.length]), [['reconstruction_error', [2, 1], 2]]);
    const unknown = await get(serve.url, '/v2/models/nope');
    assert.equal(unknown.status, 404);
    assert.equal(typeof (JSON.parse(unknown.body.toString()) as { error: unknown }).error, 'string');
    const badShape = await post(serve.url, JSON.stringify({ inputs: [{ name: 'metrics', datatype: 'FP32', shape: [1, 14], data: [1, 2] }] }), {}, '/v2/models/autoencoder/infer');
    assert.equal(badShape.status, 400);
    serve.child.kill('SIGTERM');
    assert.equal((await serve.done).code, 0);
  });
});
