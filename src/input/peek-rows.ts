/**
 * Whether a snapshot file has no rows at all (a CSV header alone, or an empty NDJSON file), found before any worker starts:
 * then the run writes the output's header and stops, instead of loading every model in every worker for nothing.
 */

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { formatFromName, sniffFormat, type InputRequest } from './read-input.js';
import { RecordSplitter } from './split-records.js';

/** Larger files are taken to have rows: a header alone is a few hundred bytes. */
const PEEK_BYTES = 64 << 10;

export function isWithoutRows(request: InputRequest): boolean {
  const path = request.path;
  if (request.source !== undefined || path === undefined || path === '-') return false;
  let bytes: Buffer;
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size === 0 || size > PEEK_BYTES) return false;
      bytes = Buffer.alloc(size);
      readSync(fd, bytes, 0, size, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false; // The real open reports what is wrong with the file.
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return false;
  const format = request.format ?? formatFromName(path) ?? sniffFormat(bytes);
  const splitter = new RecordSplitter({ format, chunkRows: Number.POSITIVE_INFINITY, hasHeader: format === 'csv', isShared: false });
  const chunks = [...splitter.push(bytes), ...splitter.end()];
  // A CSV needs its header: an empty one is an error the real read reports.
  if (format === 'csv' && splitter.header === undefined) return false;
  // Blank lines after the header make a chunk of their own: such a file takes the usual way.
  return chunks.length === 0;
}
