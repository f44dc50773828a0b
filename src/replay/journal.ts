/**
 * replay's journal: one NDJSON line per completed snapshot in the out dir (its input's size and mtime, row
 * counts, output file and the output's SHA-256), so that --resume skips what completed and redoes the rest.
 */

import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const JOURNAL_FILE = 'replay-journal.ndjson';

export interface JournalEntry {
  input: string;
  size: number;
  mtimeMs: number;
  rows: number;
  rowsOut: number;
  rowsRejected: number;
  output: string;
  outputSha256: string;
  /** Written only when the snapshot had rejects. */
  rejects: string;
  ms: number;
  completedAt: string;
}

/** The journal's last word on each input; a line cut short by a kill is ignored. */
export function readJournal(outDir: string): Map<string, JournalEntry> {
  const entries = new Map<string, JournalEntry>();
  const file = join(outDir, JOURNAL_FILE);
  if (!existsSync(file)) return entries;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    try {
      const entry = JSON.parse(line) as JournalEntry;
      if (typeof entry.input === 'string') entries.set(entry.input, entry);
    } catch {
      // A partial last line from a run that was killed mid-write.
    }
  }
  return entries;
}

/** Whether an input is done as journalled: same size and mtime, and its output still has that checksum. */
export function isComplete(entry: JournalEntry | undefined, input: string, outDir: string): entry is JournalEntry {
  if (entry === undefined) return false;
  try {
    const stat = statSync(input);
    if (stat.size !== entry.size || stat.mtimeMs !== entry.mtimeMs) return false;
    const output = readFileSync(join(outDir, entry.output));
    return createHash('sha256').update(output).digest('hex') === entry.outputSha256 && (entry.rowsRejected === 0 || existsSync(join(outDir, entry.rejects)));
  } catch {
    return false;
  }
}

/** The journal, open for appending for the whole replay: one write per completed snapshot. */
export class JournalWriter {
  readonly #fd: number;

  constructor(outDir: string) {
    this.#fd = openSync(join(outDir, JOURNAL_FILE), 'a');
  }

  append(entry: JournalEntry): void {
    writeSync(this.#fd, `${JSON.stringify(entry)}\n`);
  }

  close(): void {
    closeSync(this.#fd);
  }
}
