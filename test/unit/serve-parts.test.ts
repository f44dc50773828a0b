import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { Admission } from '../../src/serve/admission.js';
import { openBufferSink } from '../../src/serve/buffer-sink.js';
import { checkToken } from '../../src/serve/check-token.js';
import { HttpError } from '../../src/serve/http-error.js';
import { BINARY_HEADER, formatInferResponse, readInferRequest } from '../../src/serve/v2-tensors.js';

function statusOf(action: () => unknown): number | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof HttpError ? error.status : -1;
  }
  return undefined;
}

describe('serve admission', () => {
  it('lets maxActive in, queues maxQueue, refuses the next with 503, and hands a turn to the first waiter', async () => {
    const admission = new Admission(1, 1);
    const signal = new AbortController().signal;
    const leaveFirst = await admission.enter(signal);
    const second = admission.enter(signal);
    assert.equal(admission.waiting, 1);
    await assert.rejects(admission.enter(signal), (error: unknown) => error instanceof HttpError && error.status === 503 && error.headers['Retry-After'] === '1');
    leaveFirst();
    leaveFirst(); // Twice is once.
    const leaveSecond = await second;
    assert.deepEqual([admission.active, admission.waiting], [1, 0]);
    leaveSecond();
    assert.equal(admission.active, 0);
  });

  it('drops a waiter whose client went away, so that it never takes a turn', async () => {
    const admission = new Admission(1, 4);
    const leave = await admission.enter(new AbortController().signal);
    const gone = new AbortController();
    const waiting = admission.enter(gone.signal);
    gone.abort('client-disconnected');
    await assert.rejects(waiting);
    assert.equal(admission.waiting, 0);
    leave();
    assert.equal(admission.active, 0);
  });
});

describe('serve buffer sink', () => {
  it('holds each write as a view of its bytes in order, never joined into a copy, and counts their length', async () => {
    const sink = openBufferSink();
    const result = new Uint8Array(new ArrayBuffer(16), 4, 8).fill(0x31);
    await sink.write('a,b\n');
    await sink.write(result);
    await sink.commit();
    const parts = sink.parts();
    assert.equal(parts.length, 2);
    assert.equal(parts[1]!.buffer, result.buffer); // The chunk's own memory, as moved from the worker.
    assert.equal(Buffer.concat(parts).toString(), 'a,b\n11111111');
    assert.equal(sink.byteLength(), 12);
    sink.abort();
    assert.deepEqual([sink.parts().length, sink.byteLength()], [0, 0]);
  });
});

describe('serve bearer token', () => {
  const asking = (authorization?: string): IncomingMessage => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;
  it('accepts the exact token only, and asks for none when none is set', () => {
    assert.equal(statusOf(() => checkToken(asking('Bearer s3cret'), 's3cret')), undefined);
    assert.equal(statusOf(() => checkToken(asking('Bearer s3cre'), 's3cret')), 401);
    assert.equal(statusOf(() => checkToken(asking('Bearer s3cret2'), 's3cret')), 401);
    assert.equal(statusOf(() => checkToken(asking('s3cret'), 's3cret')), 401);
    assert.equal(statusOf(() => checkToken(asking(), 's3cret')), 401);
    assert.equal(statusOf(() => checkToken(asking(), undefined)), undefined);
  });
});

describe('V2 tensors', () => {
  it('reads binary tensors after the JSON header and answers binary outputs the same way', () => {
    const data = new Float32Array([1, 2, 3, 4]);
    const json = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 2], parameters: { binary_data_size: 16 } }], outputs: [{ name: 'y', parameters: { binary_data: true } }] }));
    const request = readInferRequest(Buffer.concat([json, Buffer.from(data.buffer)]), String(json.length));
    assert.deepEqual(Array.from(request.inputs[0]!.data as Float32Array), [1, 2, 3, 4]);
    const { body, headerLength } = formatInferResponse('m', request, [{ name: 'y', type: 'float32', shape: [2, 1], data: new Float32Array([5, 6]) }]);
    const header = JSON.parse(body.toString('utf8', 0, headerLength)) as { outputs: { parameters: { binary_data_size: number } }[] };
    assert.equal(header.outputs[0]!.parameters.binary_data_size, 8);
    assert.deepEqual(Array.from(new Float32Array(body.subarray(headerLength).buffer.slice(body.byteOffset + headerLength!, body.byteOffset + body.length))), [5, 6]);
    assert.equal(BINARY_HEADER, 'Inference-Header-Content-Length');
  });

  it('refuses a tensor whose data does not fit its shape, naming the input', () => {
    const body = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 2], data: [1, 2, 3] }] }));
    assert.throws(() => readInferRequest(body, undefined), /input 'x': 'data' must hold 4 numbers for shape \[2,2\]/);
    assert.throws(() => readInferRequest(Buffer.from('{"inputs":[{"name":"x","datatype":"BF16","shape":[1],"data":[1]}]}'), undefined), /datatype BF16/);
    assert.throws(() => readInferRequest(Buffer.from('not json'), undefined), /not a JSON object/);
  });
});
