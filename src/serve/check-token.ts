/** --token-env: every request but the health probes carries `Authorization: Bearer <token>`. */

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/** Digests of equal length, compared in constant time: neither the token's bytes nor its length leak by timing. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function checkToken(request: IncomingMessage, token: string | undefined): void {
  if (token === undefined) return;
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  if (match !== null && timingSafeEqual(digest(match[1]!.trim()), digest(token))) return;
  throw new HttpError(401, 'UNAUTHORIZED', 'a valid Authorization: Bearer token is required', { 'WWW-Authenticate': 'Bearer' });
}
