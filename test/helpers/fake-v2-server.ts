/**
 * A small Open Inference Protocol (KServe V2, JSON tensors) server in the test process: one model with one [N, K]
 * input and one [N, 1] output whose value per row is `answer(row)`. It counts the inference requests in flight
 * (and the most at once), and can be told to answer slowly, to fail requests holding a chosen row, or to restart.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeV2Options {
  /** The server's names: the model, its input and its output. */
  model: string;
  input: string;
  output: string;
  /** The output's datatype in the metadata and the answers. */
  datatype: string;
  width: number;
  /** How long each inference request waits before it is answered: `delayMs`, plus `msPerRow` per row it holds. */
  delayMs?: number;
  msPerRow?: number;
  /** The output value of a row (its features); default their sum, rounded to float32. */
  answer?: (row: number[]) => number;
  /** Lists the binary tensor data extension in GET /v2, and answers binary requests in kind. */
  isBinary?: boolean;
  /** The id to answer a request holding these rows with; default the request's own. */
  answerId?: (id: string | undefined, rows: number[][]) => string | undefined;
  /** An error answer for a request holding these rows, or undefined to score it. */
  failWhen?: (rows: number[][]) => { status: number; contentType: string; body: string } | undefined;
}

export class FakeV2Server {
  inFlight = 0;
  maxInFlight = 0;
  requests = 0;
  /** Request ids as received, in order. */
  readonly ids: string[] = [];
  port = 0;
  #server: Server | undefined;
  readonly #options: FakeV2Options;

  constructor(options: FakeV2Options) {
    this.#options = options;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    const server = createServer((request, response) => void this.#handle(request, response));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  /** Goes away (every open connection cut, the port closed) for `downMs`, then listens on the same port again. */
  async restart(downMs: number): Promise<void> {
    await this.stop();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.start(this.port);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const { model, input, output, datatype, width } = this.#options;
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.url === '/v2/health/ready') return json(200, {});
    if (request.url === '/v2') return json(200, { name: 'fake', extensions: this.#options.isBinary === true ? ['binary_tensor_data'] : [] });
    if (request.url === `/v2/models/${model}`) {
      return json(200, { name: model, inputs: [{ name: input, datatype: 'FP32', shape: [-1, width] }], outputs: [{ name: output, datatype, shape: [-1, 1] }] });
    }
    if (request.url !== `/v2/models/${model}/infer`) return json(404, { error: `no route ${request.url}` });
    this.requests++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const raw = Buffer.concat(chunks);
      const headerLength = request.headers['inference-header-content-length'];
      const jsonLength = headerLength === undefined ? raw.length : Number(headerLength);
      const body = JSON.parse(raw.subarray(0, jsonLength).toString('utf8')) as { id?: string; inputs: { name: string; shape: number[]; data?: number[] }[] };
      if (headerLength !== undefined) {
        // One FP32 input, its bytes after the JSON header.
        const bytes = raw.subarray(jsonLength);
        body.inputs[0]!.data = Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
      }
      if (body.id !== undefined) this.ids.push(body.id);
      const tensor = body.inputs.find((t) => t.name === input);
      if (tensor === undefined) return json(400, { error: `no input '${input}'` });
      await new Promise((resolve) => setTimeout(resolve, (this.#options.delayMs ?? 0) + (this.#options.msPerRow ?? 0) * tensor.shape[0]!));
      const data = tensor.data ?? [];
      const rows = Array.from({ length: tensor.shape[0]! }, (_, r) => data.slice(r * width, (r + 1) * width));
      const failure = this.#options.failWhen?.(rows);
      if (failure !== undefined) {
        response.writeHead(failure.status, { 'content-type': failure.contentType });
        return void response.end(failure.body);
      }
      const answer = this.#options.answer ?? ((row: number[]) => Math.fround(row.reduce((a, b) => a + b, 0)));
      const id = this.#options.answerId === undefined ? body.id : this.#options.answerId(body.id, rows);
      const values = rows.map(answer);
      if (headerLength === undefined) return json(200, { model_name: model, id, outputs: [{ name: output, datatype, shape: [rows.length, 1], data: values }] });
      const typed = datatype === 'FP64' ? new Float64Array(values) : new Float32Array(values);
      const header = Buffer.from(JSON.stringify({ model_name: model, id, outputs: [{ name: output, datatype, shape: [rows.length, 1], parameters: { binary_data_size: typed.byteLength } }] }));
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) });
      return void response.end(Buffer.concat([header, Buffer.from(typed.buffer)]));
    } finally {
      this.inFlight--;
    }
  }
}

/** A CSV of `rows` rows: `id` (0, 1, ...), then `a` = id and `b` = id % 7, the features the fake model reads. */
export function makeRowsCsv(rows: number): string {
  let text = 'id,a,b\n';
  for (let i = 0; i < rows; i++) text += `${i},${i},${i % 7}\n`;
  return text;
}
