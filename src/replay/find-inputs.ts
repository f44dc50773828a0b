/**
 * Replay's inputs: files, directories (every snapshot file inside, recursively) and glob patterns (`*`, `?`,
 * `**`), put in time order by a timestamp in the file name, and cut to a --from/--to range.
 */

import { readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { BatchInferError } from '../errors.js';

const SNAPSHOT_FILE = /\.(csv|ndjson|jsonl)(\.gz)?$/i;
// 2026-11-30T12:05, 2026-11-30_12-05-00, 20261130-1205, 202611301205 ...
const STAMP = /(\d{4})-?(\d{2})-?(\d{2})[T_ -]?(\d{2})[:-]?(\d{2})(?:[:-]?(\d{2}))?/;

export interface ReplayInput {
  path: string;
  /** Milliseconds since the epoch (UTC), from the file name; undefined when it has none. */
  time: number | undefined;
}

/** The timestamp in a file name, read as UTC. */
export function timestampOf(file: string): number | undefined {
  const match = STAMP.exec(basename(file));
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const time = Date.UTC(y!, mo! - 1, d!, h!, mi!, Number.isNaN(s) ? 0 : s!);
  return Number.isNaN(time) ? undefined : time;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else if (entry.isFile() && SNAPSHOT_FILE.test(entry.name)) out.push(path);
  }
  return out;
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function expandGlob(pattern: string): string[] {
  const parts = pattern.split('/');
  const firstWild = parts.findIndex((p) => /[*?]/.test(p));
  const root = resolve(parts.slice(0, firstWild).join('/') || '.');
  const matcher = globToRegExp(parts.slice(firstWild).join('/'));
  let files: string[];
  try {
    files = walk(root);
  } catch {
    return [];
  }
  return files.filter((file) => matcher.test(relative(root, file).split(sep).join('/')));
}

export function findInputs(patterns: readonly string[], range: { from: number | undefined; to: number | undefined }): ReplayInput[] {
  const found = new Set<string>();
  for (const pattern of patterns) {
    if (/[*?]/.test(pattern)) {
      const matches = expandGlob(pattern);
      if (matches.length === 0) throw new BatchInferError('INPUT_NOT_FOUND', `${pattern}: no file matches`);
      for (const file of matches) found.add(resolve(file));
      continue;
    }
    let stat;
    try {
      stat = statSync(pattern);
    } catch {
      throw new BatchInferError('INPUT_NOT_FOUND', `${pattern}: no such file or directory`);
    }
    if (stat.isDirectory()) for (const file of walk(pattern)) found.add(resolve(file));
    else found.add(resolve(pattern));
  }
  let inputs = [...found].map((path) => ({ path, time: timestampOf(path) }));
  if (range.from !== undefined || range.to !== undefined) {
    // A range selects by file-name time: files without one cannot be placed in it.
    inputs = inputs.filter((i) => i.time !== undefined && (range.from === undefined || i.time >= range.from) && (range.to === undefined || i.time < range.to));
  }
  return inputs.sort((a, b) => (a.time ?? Number.POSITIVE_INFINITY) - (b.time ?? Number.POSITIVE_INFINITY) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
