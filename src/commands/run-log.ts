/**
 * Run events for log shippers: with --log-format json, one JSON object per line on stderr (start, each phase,
 * summary, errors). The human format prints only the closing table and messages, from the command modules.
 */

import type { LogFormat } from '../config/options.js';

export interface RunLog {
  readonly format: LogFormat;
  event(name: string, fields?: Record<string, unknown>): void;
}

export function createRunLog(format: LogFormat, write: (line: string) => void = (line) => process.stderr.write(line)): RunLog {
  return {
    format,
    event(name, fields = {}) {
      if (format !== 'json') return;
      write(`${JSON.stringify({ time: new Date().toISOString(), event: name, ...fields })}\n`);
    },
  };
}
