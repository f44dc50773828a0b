/**
 * Turns every record of a chunk into a reject, with one reason: for chunks that could not be scored (their
 * worker failed on every try) or were never scored (a deadline). Nothing is lost: each record keeps its line
 * number and original text, so that it can be replayed.
 */

import { formatReject } from './format/format-rows.js';
import { findRecordSpans } from './parse/record-spans.js';
import type { RejectedLine } from '../input/raw-chunk.js';
import type { InputFormat } from '../model/scoring-plan.js';
import type { ChunkScored } from './score-chunk.js';

const encoder = new TextEncoder();

/** A chunk result with no scored row: every record it held is one of `rejects`. */
function allRejected(index: number, rows: number, rejects: string): ChunkScored {
  return {
    kind: 'chunk',
    ok: true,
    index,
    workerId: 0,
    loadCount: 0,
    rowsIn: rows,
    rowsOut: 0,
    rowsRejected: rows,
    output: new Uint8Array(0),
    rejects: encoder.encode(rejects),
    parseMs: 0,
    inferMs: 0,
    busyMs: 0,
    networkMs: 0,
    serverMs: 0,
    requests: 0,
    requestRetries: 0,
  };
}

export function rejectChunk(index: number, bytes: Uint8Array, firstLine: number, format: InputFormat, reason: string): ChunkScored {
  const spans = findRecordSpans(bytes, format, firstLine);
  let rejects = '';
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let r = 0; r < spans.count; r++) rejects += formatReject(spans.lines[r]!, reason, text.toString('utf8', spans.starts[r]!, spans.ends[r]!));
  return allRejected(index, spans.count, rejects);
}

/** The reject for one line the splitter gave up on: too long, or holding a quote that is never closed. */
export function rejectLine(index: number, rejected: RejectedLine, limit: number): ChunkScored {
  if (rejected.kind === 'too-long') {
    const reason = `record longer than --max-line-bytes (${limit} bytes; read ${rejected.bytes} before giving up on it)`;
    return allRejected(index, 1, formatReject(rejected.line, reason, `${rejected.text}...`));
  }
  const why = rejected.kind === 'unclosed-quote' ? `no closing quote within --max-line-bytes (${limit} bytes)` : 'the input ends before the closing quote';
  const reason = `unclosed quote on line ${rejected.line}: ${why}; the next line is read as a new record`;
  return allRejected(index, 1, formatReject(rejected.line, reason, rejected.text));
}
