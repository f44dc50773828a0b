/** The small replies every route shares: a JSON answer, and the method check. */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http-error.js';

export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value)}\n`;
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

/** 405 (with Allow) unless the request uses `method`. */
export function allowMethod(request: IncomingMessage, method: string): void {
  if (request.method !== method) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${request.method ?? '?'} is not allowed here: use ${method}`, { Allow: method });
}
