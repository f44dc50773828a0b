/**
 * Run events for log shippers: with --log-format json, one JSON object per line on stderr (start, each phase,
 * summary, errors). The human format prints only the closing table and messages, from the command modules.
 */

import type { LogFormat } from '../config/options.js';

export interface RunLog {
  readonly format: LogFormat;
  event(name: string, fields?: Record<string, unknown>): void;
}

let active: RunLog | undefined;

/** --log-format json as given on the command line or in the environment, before the options are resolved (a
 * usage error can come first, and must be JSON too). */
export function isJsonLogAsked(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const at = argv.indexOf('--log-format');
  return (at !== -1 && argv[at + 1] === 'json') || argv.includes('--log-format=json') || env.BATCH_INFER_LOG_FORMAT === 'json';
}

/** The log of the command under way, if it has one yet: cli.ts reports a failure through it. */
export function activeRunLog(): RunLog | undefined {
  return active;
}

/** A command's log, which also becomes the one cli.ts reports a failure through. */
export function startRunLog(format: LogFormat): RunLog {
  active = createRunLog(format);
  return active;
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
