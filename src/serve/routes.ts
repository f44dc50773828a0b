/**
 * Which handler answers which request. Health probes are open (an orchestrator probes without a token); every
 * other route checks the token first.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkToken } from './check-token.js';
import { HttpError } from './http-error.js';
import { allowMethod, sendJson } from './http-replies.js';
import { scoreRequest, type ScoreContext, type ScoreOutcome } from './score-request.js';
import type { ServeMetrics } from './serve-metrics.js';
import { routeV2 } from './v2-routes.js';

export interface RouteContext extends ScoreContext {
  token: string | undefined;
  metrics: ServeMetrics;
}

/** The route a request was matched to (a metrics label: never the raw path), and what scoring it gave. */
export interface Routed {
  route: string;
  outcome?: ScoreOutcome;
}

/** Answers the request; throws HttpError (or a pipeline error) for the caller to send. `routed` is filled in first. */
export async function routeRequest(request: IncomingMessage, response: ServerResponse, context: RouteContext, routed: Routed): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  switch (url.pathname) {
    case '/v2/health/live':
      routed.route = 'live';
      allowMethod(request, 'GET');
      return sendJson(response, 200, { live: true });
    case '/v2/health/ready':
      routed.route = 'ready';
      allowMethod(request, 'GET');
      return sendJson(response, context.pool.isReady ? 200 : 503, { ready: context.pool.isReady });
    case '/metrics': {
      routed.route = 'metrics';
      allowMethod(request, 'GET');
      checkToken(request, context.token);
      const text = await context.metrics.registry.metrics();
      response.writeHead(200, { 'Content-Type': context.metrics.registry.contentType, 'Content-Length': Buffer.byteLength(text) });
      response.end(text);
      return;
    }
    case '/v1/score':
      routed.route = 'score';
      allowMethod(request, 'POST');
      checkToken(request, context.token);
      routed.outcome = await scoreRequest(request, response, url, context);
      return;
    default: {
      if (url.pathname === '/v2' || url.pathname.startsWith('/v2/models/')) {
        routed.route = 'v2';
        checkToken(request, context.token);
        const route = await routeV2(request, response, url.pathname, { ...context, chunkTimeoutMs: context.snapshot.chunkTimeoutMs, retries: context.snapshot.retries });
        if (route !== undefined) {
          routed.route = route;
          return;
        }
      }
      routed.route = 'unknown';
      throw new HttpError(404, 'NOT_FOUND', `no route ${url.pathname}: see docs/serve.md`);
    }
  }
}
