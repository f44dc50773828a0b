/**
 * --heartbeat URL: the dead-man's-switch convention of healthchecks.io and its kin. A ping to URL/start when the
 * command starts, then URL on success (exit 0 or 1: the output was written) or URL/<exit status> on failure, each
 * with the same `rid` so the service pairs them, and a one-line summary as the body. A ping that fails is reported
 * once and never changes how the run ends: the monitor not hearing from us is the alarm.
 */

import { randomUUID } from 'node:crypto';
import { describeError } from '../errors.js';
import { isSuccessfulExit } from '../output/metrics-file.js';

export interface Heartbeat {
  start(): Promise<void>;
  finish(exitCode: number, summary: string): Promise<void>;
}

const NONE: Heartbeat = { start: async () => undefined, finish: async () => undefined };

/** A URL with `suffix` appended to its path and the run id in its query. */
function pingUrl(base: URL, suffix: string, runId: string): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${suffix}`;
  url.searchParams.set('rid', runId);
  return url;
}

export function createHeartbeat(url: string | undefined, notice: (message: string) => void, timeoutMs = 10_000): Heartbeat {
  if (url === undefined) return NONE;
  const base = new URL(url);
  const runId = randomUUID();
  // The URL often carries a secret (a check's UUID or a token): messages name only its origin.
  const ping = async (suffix: string, body: string): Promise<void> => {
    try {
      const response = await fetch(pingUrl(base, suffix, runId), { method: 'POST', body, signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
      if (!response.ok) notice(`--heartbeat ${base.origin}: the ping${suffix} was answered HTTP ${response.status}`);
    } catch (error) {
      notice(`--heartbeat ${base.origin}: the ping${suffix} failed: ${describeError(error)}`);
    }
  };
  return {
    start: () => ping('/start', ''),
    finish: (exitCode, summary) => ping(isSuccessfulExit(exitCode) ? '' : `/${exitCode}`, `${summary}\n`),
  };
}
