/**
 * Finds where each record of a chunk starts and ends, and on which line, with the same quote rule as the
 * splitter (a newline inside double quotes does not end a CSV record). Blank lines are not records.
 */

import type { InputFormat } from '../../model/scoring-plan.js';

const NEWLINE = 0x0a;
const RETURN = 0x0d;
const QUOTE = 0x22;

export interface RecordSpans {
  count: number;
  /** Byte offset of each record's first byte. */
  starts: Int32Array;
  /** Byte offset just past each record's last content byte (line end excluded). */
  ends: Int32Array;
  /** 1-based physical line number where each record starts. */
  lines: Int32Array;
}

/** The spans of the chunk's records, or of its first `maxRecords` only. */
export function findRecordSpans(chunk: Uint8Array, format: InputFormat, firstLine: number, maxRecords = Number.POSITIVE_INFINITY): RecordSpans {
  const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  // Sized from the bytes (records are rarely under 32 bytes) so that growing, a path the JIT would meet late and
  // deoptimise on, is rare.
  let capacity = Math.max(64, chunk.length >> 5);
  let starts: Int32Array = new Int32Array(capacity);
  let ends: Int32Array = new Int32Array(capacity);
  let lines: Int32Array = new Int32Array(capacity);
  let count = 0;
  let line = firstLine;
  let pos = 0;
  const length = bytes.length;
  const isCsv = format === 'csv';
  let nextQuote = isCsv ? bytes.indexOf(QUOTE, 0) : -1;
  // The first newline at or after pos, kept rather than searched again after every quoted field: with many
  // quoted fields a line was otherwise scanned once per field.
  let nextNewline = bytes.indexOf(NEWLINE, 0);

  while (pos < length && count < maxRecords) {
    const start = pos;
    const startLine = line;
    let end = -1;
    // Walk to the newline that ends this record, stepping over quoted sections.
    while (end === -1) {
      if (nextQuote !== -1 && nextQuote < pos) nextQuote = bytes.indexOf(QUOTE, pos);
      if (nextQuote !== -1 && (nextNewline === -1 || nextQuote < nextNewline)) {
        const close = bytes.indexOf(QUOTE, nextQuote + 1);
        const stop = close === -1 ? length : close;
        while (nextNewline !== -1 && nextNewline < stop) {
          line++;
          nextNewline = bytes.indexOf(NEWLINE, nextNewline + 1);
        }
        pos = close === -1 ? length : close + 1;
        nextQuote = close === -1 ? -1 : bytes.indexOf(QUOTE, pos);
        if (pos >= length) end = length;
        continue;
      }
      const newline = nextNewline;
      end = newline === -1 ? length : newline;
      pos = newline === -1 ? length : newline + 1;
      if (newline !== -1) {
        line++;
        nextNewline = bytes.indexOf(NEWLINE, pos);
      }
    }
    let contentEnd = end;
    if (contentEnd > start && bytes[contentEnd - 1] === RETURN) contentEnd--;
    if (contentEnd === start) continue;
    if (count === capacity) {
      capacity *= 2;
      starts = grow(starts, capacity);
      ends = grow(ends, capacity);
      lines = grow(lines, capacity);
    }
    starts[count] = start;
    ends[count] = contentEnd;
    lines[count] = startLine;
    count++;
  }
  return { count, starts, ends, lines };
}

function grow(array: Int32Array, capacity: number): Int32Array {
  const bigger = new Int32Array(capacity);
  bigger.set(array);
  return bigger;
}
