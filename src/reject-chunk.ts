/**
 * Turns every record of a chunk into a reject, with one reason: for chunks that could not be scored (their
 * worker failed on every try) or were never scored (a deadline). Nothing is lost: each record keeps its line
 * number and original text, so that it can be replayed.
 */

import { formatReject } from './output/format-rows.js';
import { findRecordSpans } from './parse/record-spans.js';
import type { TooLongRecord } from './input/split-records.js';
import type { ChunkScored, InputFormat } from './plan.js';

const encoder = new TextEncoder();

export function rejectChunk(index: number, bytes: Uint8Array, firstLine: number, format: InputFormat, reason: string): ChunkScored {
  const spans = findRecordSpans(bytes, format, firstLine);
  let rejects = '';
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let r = 0; r < spans.count; r++) rejects += formatReject(spans.lines[r]!, reason, text.toString('utf8', spans.starts[r]!, spans.ends[r]!));
  return {
    kind: 'chunk',
    ok: true,
    index,
    workerId: 0,
    loadCount: 0,
    rowsIn: spans.count,
    rowsOut: 0,
    rowsRejected: spans.count,
    output: new Uint8Array(0),
    rejects: encoder.encode(rejects),
    parseMs: 0,
    inferMs: 0,
    busyMs: 0,
    networkMs: 0,
    serverMs: 0,
  };
}

/** The reject for one record over the size limit, whose bytes were not kept. */
export function rejectTooLong(index: number, tooLong: TooLongRecord, limit: number): ChunkScored {
  const reason = `record longer than --max-line-bytes (${limit} bytes; read ${tooLong.bytes} before giving up on it)`;
  return {
    kind: 'chunk',
    ok: true,
    index,
    workerId: 0,
    loadCount: 0,
    rowsIn: 1,
    rowsOut: 0,
    rowsRejected: 1,
    output: new Uint8Array(0),
    rejects: encoder.encode(formatReject(tooLong.line, reason, `${tooLong.preview}...`)),
    parseMs: 0,
    inferMs: 0,
    busyMs: 0,
    networkMs: 0,
    serverMs: 0,
  };
}
