/**
 * Cuts a byte stream into chunks at record boundaries without parsing fields, so that the main thread stays
 * light and the workers do the parsing. CSV cuts are quote-aware: a newline inside a quoted field does not end
 * a record (RFC 4180). NDJSON cuts at every newline (JSON strings cannot hold a raw newline).
 *
 * A record longer than maxRecordBytes (a broken line, an unclosed quote swallowing the rest of the file) is not
 * held in memory: it becomes a chunk of its own marked `tooLong`, which the run turns into one reject, and
 * cutting resumes at the next newline.
 */

import { BatchInferError } from '../errors.js';
import type { InputFormat } from '../plan.js';

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const PREVIEW_BYTES = 200;

export interface TooLongRecord {
  line: number;
  /** The record's size as far as it was read (at least the limit). */
  bytes: number;
  /** Its first bytes, for the reject. */
  preview: string;
}

export interface RawChunk {
  /** Position of the chunk in the input, from 0. */
  index: number;
  /** The chunk's bytes: whole records, each ending in '\n' except perhaps the input's last. */
  bytes: Uint8Array;
  /** 1-based physical line number of the chunk's first byte. */
  firstLine: number;
  /** Record ends seen in the chunk (blank lines included); the worker's parse is the authoritative count. */
  records: number;
  /** Set when the chunk is one record over the size limit, whose bytes were dropped. */
  tooLong?: TooLongRecord;
}

export interface SplitterOptions {
  format: InputFormat;
  chunkRows: number;
  /** Whether the first record is a header (CSV); it is kept apart from the chunks. */
  hasHeader: boolean;
  maxRecordBytes?: number;
}

export class RecordSplitter {
  readonly #format: InputFormat;
  readonly #chunkRows: number;
  readonly #maxRecordBytes: number;
  #needsHeader: boolean;
  #isStart = true;
  #header: Uint8Array | undefined;
  /** Bytes held for the chunk being assembled, from #chunkStart on. */
  #pieces: Uint8Array[] = [];
  #piecesBytes = 0;
  #isInQuotes = false;
  #records = 0;
  /** Absolute stream offsets: of the current piece's first byte, the current chunk's and record's starts. */
  #offset = 0;
  #chunkStart = 0;
  #recordStart = 0;
  /** Lines before the current chunk; lines within it before the current record; lines within the record. */
  #linesBeforeChunk = 0;
  #chunkLines = 0;
  #recordLines = 0;
  /** Dropping an oversized record until its line ends. */
  #skipping: TooLongRecord | undefined;
  #nextIndex = 0;

  constructor(options: SplitterOptions) {
    this.#format = options.format;
    this.#chunkRows = options.chunkRows;
    this.#needsHeader = options.hasHeader;
    this.#maxRecordBytes = options.maxRecordBytes ?? Number.POSITIVE_INFINITY;
  }

  /** The header record's bytes (without its line end), once seen. */
  get header(): Uint8Array | undefined {
    return this.#header;
  }

  push(input: Uint8Array): RawChunk[] {
    // Buffer's indexOf is a native memchr; a plain Uint8Array's is not.
    let piece = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (this.#isStart && piece.length > 0) {
      this.#isStart = false;
      // A UTF-8 byte order mark is not part of the first column's name.
      if (piece[0] === 0xef && piece[1] === 0xbb && piece[2] === 0xbf) {
        piece = piece.subarray(3);
        this.#offset = this.#chunkStart = this.#recordStart = 3;
      }
    }
    const chunks: RawChunk[] = [];
    const end = piece.length;
    let pos = 0;
    if (this.#skipping !== undefined) {
      const newline = piece.indexOf(NEWLINE);
      if (newline === -1) {
        this.#skipping.bytes += end;
        this.#offset += end;
        return chunks;
      }
      this.#skipping.bytes += newline;
      chunks.push(this.#emitTooLong(this.#skipping));
      this.#skipping = undefined;
      pos = newline + 1;
      this.#linesBeforeChunk++;
      this.#chunkStart = this.#recordStart = this.#offset + pos;
    }
    let held = pos; // Bytes of this piece before `held` are not part of the chunk being assembled.
    let nextQuote = this.#format === 'csv' ? piece.indexOf(QUOTE, pos) : -1;
    while (pos < end) {
      if (this.#isInQuotes) {
        if (nextQuote !== -1 && nextQuote < pos) nextQuote = piece.indexOf(QUOTE, pos);
        const stop = nextQuote === -1 ? end : nextQuote;
        this.#recordLines += countNewlines(piece, pos, stop);
        if (nextQuote === -1) {
          pos = end;
        } else {
          this.#isInQuotes = false;
          pos = nextQuote + 1;
          nextQuote = piece.indexOf(QUOTE, pos);
        }
        continue;
      }
      const newline = piece.indexOf(NEWLINE, pos);
      if (nextQuote !== -1 && nextQuote < pos) nextQuote = piece.indexOf(QUOTE, pos);
      if (nextQuote !== -1 && (newline === -1 || nextQuote < newline)) {
        this.#isInQuotes = true;
        pos = nextQuote + 1;
        nextQuote = piece.indexOf(QUOTE, pos);
        continue;
      }
      if (newline === -1) break;
      pos = newline + 1;
      this.#recordLines++;
      const recordEnd = this.#offset + pos;
      if (recordEnd - this.#recordStart > this.#maxRecordBytes) {
        if (this.#needsHeader) this.#failHeader();
        // A complete record, but too long: the records before it form a chunk, it becomes a reject.
        const all = this.#take(piece, held, pos);
        const cut = this.#recordStart - this.#chunkStart;
        if (this.#records > 0) chunks.push(this.#emit(all.subarray(0, cut)));
        const tooLong = { line: this.#linesBeforeChunk + this.#chunkLines + 1, bytes: recordEnd - this.#recordStart, preview: preview(all.subarray(cut)) };
        this.#chunkLines += this.#recordLines;
        this.#recordLines = 0;
        chunks.push(this.#emitTooLong(tooLong));
        held = pos;
        this.#chunkStart = this.#recordStart = recordEnd;
        continue;
      }
      if (this.#needsHeader) {
        this.#needsHeader = false;
        this.#header = trimLineEnd(this.#take(piece, held, newline));
        held = pos;
        this.#linesBeforeChunk += this.#recordLines;
        this.#recordLines = 0;
        this.#chunkStart = this.#recordStart = recordEnd;
        continue;
      }
      this.#records++;
      this.#chunkLines += this.#recordLines;
      this.#recordLines = 0;
      this.#recordStart = recordEnd;
      if (this.#records === this.#chunkRows) {
        chunks.push(this.#emit(this.#take(piece, held, pos)));
        held = pos;
        this.#chunkStart = recordEnd;
      }
    }
    if (held < end) {
      this.#pieces.push(piece.subarray(held, end));
      this.#piecesBytes += end - held;
    }
    this.#offset += end;
    if (this.#offset - this.#recordStart > this.#maxRecordBytes) {
      if (this.#needsHeader) this.#failHeader();
      // The record being read is already too long: keep the whole records before it, drop it to its line end.
      const all = this.#take(new Uint8Array(0), 0, 0);
      const cut = this.#recordStart - this.#chunkStart;
      if (this.#records > 0) chunks.push(this.#emit(all.subarray(0, cut)));
      this.#skipping = { line: this.#linesBeforeChunk + this.#chunkLines + 1, bytes: this.#offset - this.#recordStart, preview: preview(all.subarray(cut)) };
      // An unclosed quote is the likely cause: the record ends at the next newline, quotes or not.
      this.#isInQuotes = false;
      this.#linesBeforeChunk += this.#chunkLines + this.#recordLines;
      this.#chunkLines = 0;
      this.#recordLines = 0;
      this.#chunkStart = this.#recordStart = this.#offset;
    }
    return chunks;
  }

  /** Flushes the last, possibly partial, chunk (a last record without a line end included). */
  end(): RawChunk[] {
    if (this.#skipping !== undefined) {
      const tooLong = this.#skipping;
      this.#skipping = undefined;
      return [this.#emitTooLong(tooLong)];
    }
    if (this.#piecesBytes === 0) return [];
    if (this.#needsHeader) {
      this.#needsHeader = false;
      this.#header = trimLineEnd(this.#take(new Uint8Array(0), 0, 0));
      return [];
    }
    const bytes = this.#take(new Uint8Array(0), 0, 0);
    if (bytes.length > 0 && bytes[bytes.length - 1] !== NEWLINE) this.#records++;
    this.#chunkLines += this.#recordLines;
    this.#recordLines = 0;
    return [this.#emit(bytes)];
  }

  #failHeader(): never {
    throw new BatchInferError('INPUT_HEADER', `line 1: the header is longer than --max-line-bytes (${this.#maxRecordBytes} bytes)`);
  }

  #emit(bytes: Uint8Array): RawChunk {
    const chunk: RawChunk = { index: this.#nextIndex++, bytes, firstLine: this.#linesBeforeChunk + 1, records: this.#records };
    this.#linesBeforeChunk += this.#chunkLines;
    this.#chunkLines = 0;
    this.#records = 0;
    return chunk;
  }

  #emitTooLong(tooLong: TooLongRecord): RawChunk {
    const chunk: RawChunk = { index: this.#nextIndex++, bytes: new Uint8Array(0), firstLine: tooLong.line, records: 1, tooLong };
    this.#linesBeforeChunk += this.#chunkLines;
    this.#chunkLines = 0;
    return chunk;
  }

  /** Joins the held pieces with piece[start, stop) into one owned buffer, so that it can be transferred. */
  #take(piece: Uint8Array, start: number, stop: number): Uint8Array {
    const out = new Uint8Array(this.#piecesBytes + (stop - start));
    let offset = 0;
    for (const held of this.#pieces) {
      out.set(held, offset);
      offset += held.length;
    }
    out.set(piece.subarray(start, stop), offset);
    this.#pieces = [];
    this.#piecesBytes = 0;
    return out;
  }
}

function preview(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, PREVIEW_BYTES)).toString('utf8').replace(/\r?\n$/, '');
}

function countNewlines(bytes: Buffer, from: number, to: number): number {
  let count = 0;
  let at = bytes.indexOf(NEWLINE, from);
  while (at !== -1 && at < to) {
    count++;
    at = bytes.indexOf(NEWLINE, at + 1);
  }
  return count;
}

function trimLineEnd(bytes: Uint8Array): Uint8Array {
  let stop = bytes.length;
  if (stop > 0 && bytes[stop - 1] === NEWLINE) stop--;
  if (stop > 0 && bytes[stop - 1] === 0x0d) stop--;
  return bytes.subarray(0, stop);
}
