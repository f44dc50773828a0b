import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createHeartbeat } from '../../src/commands/heartbeat.js';

interface Ping {
  method: string;
  path: string;
  rid: string | null;
  body: string;
}

describe('--heartbeat', () => {
  const pings: Ping[] = [];
  let status = 200;
  let delayMs = 0;
  let server: Server;
  let base = '';
  before(async () => {
    server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (piece: Buffer) => (body += piece.toString('utf8')));
      request.on('end', () => {
        const url = new URL(request.url ?? '/', 'http://localhost');
        pings.push({ method: request.method ?? '', path: url.pathname, rid: url.searchParams.get('rid'), body });
        setTimeout(() => response.writeHead(status).end('OK'), delayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping/abc-123`;
  });
  after(() => server.close());
  const reset = (): void => {
    pings.length = 0;
    status = 200;
    delayMs = 0;
  };

  it('pings /start, then the URL itself on success, with one run id and the summary as the body', async () => {
    reset();
    const notices: string[] = [];
    const heartbeat = createHeartbeat(base, (m) => notices.push(m));
    await heartbeat.start();
    await heartbeat.finish(1, 'rows 10 in, 9 scored, 1 rejected');
    assert.deepEqual(pings.map((p) => [p.method, p.path]), [['POST', '/ping/abc-123/start'], ['POST', '/ping/abc-123']]);
    assert.ok(pings[0]!.rid !== null && pings[0]!.rid === pings[1]!.rid);
    assert.equal(pings[1]!.body, 'rows 10 in, 9 scored, 1 rejected\n');
    assert.deepEqual(notices, []);
  });

  it('pings URL/<exit status> when the run fails', async () => {
    reset();
    const heartbeat = createHeartbeat(`${base}/`, () => undefined);
    await heartbeat.finish(69, 'the inference server is unreachable');
    assert.deepEqual(pings.map((p) => p.path), ['/ping/abc-123/69']);
  });

  it('reports a refused, failed or slow ping as a notice naming only the origin, and never throws', async () => {
    reset();
    const notices: string[] = [];
    status = 503;
    await createHeartbeat(base, (m) => notices.push(m)).start();
    status = 200;
    delayMs = 500;
    await createHeartbeat(base, (m) => notices.push(m), 100).finish(0, 'ok');
    await createHeartbeat('http://127.0.0.1:9/x', (m) => notices.push(m), 1000).start();
    assert.equal(notices.length, 3);
    assert.match(notices[0]!, /^--heartbeat http:\/\/127\.0\.0\.1:\d+: the ping\/start was answered HTTP 503$/);
    assert.match(notices[1]!, /^--heartbeat http:\/\/127\.0\.0\.1:\d+: the ping failed: /);
    assert.match(notices[2]!, /^--heartbeat http:\/\/127\.0\.0\.1:9: the ping\/start failed: /);
    assert.ok(notices.every((n) => !n.includes('abc-123')), 'a notice showed the secret part of the URL');
  });
});
