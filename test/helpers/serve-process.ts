import { request } from 'node:http';
import { startCli, waitFor } from './spawn.js';

/** A `batch-infer serve` child on a free port, and its URL once it listens. */
export async function startServe(args: string[], env: Record<string, string> = {}) {
  const started = startCli(['serve', '--port', '0', ...args], env);
  let url: string | undefined;
  await waitFor(() => {
    url = /(?:listening on |"url":")(http:\/\/127\.0\.0\.1:\d+)/.exec(started.stderr())?.[1];
    return url !== undefined || started.child.exitCode !== null;
  }, 60_000);
  if (url === undefined) throw new Error(`serve did not start: ${started.stderr()}`);
  return { ...started, url };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * A request whose body is written piece by piece: `pieces` are sent in order, each after the previous one's
 * `before` (a promise) settles, so that a test can act while a body is still arriving.
 */
export function send(url: string, options: { method?: string; path?: string; headers?: Record<string, string>; pieces?: { bytes: Buffer | string; before?: Promise<unknown> }[] }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(options.path ?? '/v1/score', url);
    // A fresh connection each time: a test blocked in spawnSync misses the server closing an idle kept-alive one.
    const req = request(target, { method: options.method ?? 'POST', headers: options.headers ?? {}, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    // A server that refuses a body (413) answers and closes while the body is still being written: the answer
    // counts, the broken pipe does not.
    req.on('error', (error) => setTimeout(() => reject(error), 1000).unref());
    void (async () => {
      for (const piece of options.pieces ?? []) {
        await piece.before;
        req.write(piece.bytes);
      }
      req.end();
    })().catch(reject);
  });
}

/** POSTs a whole body to /v1/score (or `path`). */
export function post(url: string, body: Buffer | string, headers: Record<string, string> = {}, path = '/v1/score'): Promise<Answer> {
  return send(url, { path, headers: { 'Content-Length': String(Buffer.byteLength(body)), ...headers }, pieces: [{ bytes: body }] });
}

export async function get(url: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return send(url, { method: 'GET', path, headers });
}

/** A counter's value in Prometheus text, summed over the series whose labels contain `labels`. */
export function counterValue(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const [series, value] = line.split(' ');
    if (series!.slice(name.length).match(/^(\{|$)/) !== null && series!.includes(labels)) sum += Number(value);
  }
  return sum;
}

export { waitFor };
