/**
 * Cuts a byte stream into chunks at record boundaries without parsing fields, so that the main thread stays
 * light and the workers do the parsing. CSV cuts are quote-aware: a newline inside a quoted field does not end
 * a record (RFC 4180). NDJSON cuts at every newline (JSON strings cannot hold a raw newline).
 */

import type { InputFormat } from '../plan.js';

const NEWLINE = 0x0a;
const QUOTE = 0x22;

export interface RawChunk {
  /** Position of the chunk in the input, from 0. */
  index: number;
  /** The chunk's bytes: whole records, each ending in '\n' except perhaps the input's last. */
  bytes: Uint8Array;
  /** 1-based physical line number of the chunk's first byte. */
  firstLine: number;
  /** Record ends seen in the chunk (blank lines included); the worker's parse is the authoritative count. */
  records: number;
}

export interface SplitterOptions {
  format: InputFormat;
  chunkRows: number;
  /** Whether the first record is a header (CSV); it is kept apart from the chunks. */
  hasHeader: boolean;
}

export class RecordSplitter {
  readonly #format: InputFormat;
  readonly #chunkRows: number;
  #needsHeader: boolean;
  #isStart = true;
  #header: Uint8Array | undefined;
  #pieces: Uint8Array[] = [];
  #piecesBytes = 0;
  #isInQuotes = false;
  #records = 0;
  /** Lines consumed so far (newlines seen before the current chunk's first byte). */
  #linesBeforeChunk = 0;
  #linesInChunk = 0;
  #nextIndex = 0;

  constructor(options: SplitterOptions) {
    this.#format = options.format;
    this.#chunkRows = options.chunkRows;
    this.#needsHeader = options.hasHeader;
  }

  /** The header record's bytes (without its line end), once seen. */
  get header(): Uint8Array | undefined {
    return this.#header;
  }

  /** 1-based line number of the first data line (after the header). */
  get headerLines(): number {
    return this.#header === undefined ? 0 : this.#linesBeforeChunk;
  }

  push(input: Uint8Array): RawChunk[] {
    // Buffer's indexOf is a native memchr; a plain Uint8Array's is not.
    let piece = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (this.#isStart && piece.length > 0) {
      this.#isStart = false;
      // A UTF-8 byte order mark is not part of the first column's name.
      if (piece[0] === 0xef && piece[1] === 0xbb && piece[2] === 0xbf) piece = piece.subarray(3);
    }
    const chunks: RawChunk[] = [];
    let start = 0;
    let pos = 0;
    let nextQuote = this.#format === 'csv' ? piece.indexOf(QUOTE) : -1;
    const end = piece.length;
    while (pos < end) {
      if (this.#isInQuotes) {
        if (nextQuote !== -1 && nextQuote < pos) nextQuote = piece.indexOf(QUOTE, pos);
        const stop = nextQuote === -1 ? end : nextQuote;
        this.#linesInChunk += countNewlines(piece, pos, stop);
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
      this.#linesInChunk++;
      if (this.#needsHeader) {
        this.#needsHeader = false;
        this.#header = trimLineEnd(this.#take(piece, start, newline));
        start = pos;
        this.#linesBeforeChunk += this.#linesInChunk;
        this.#linesInChunk = 0;
        continue;
      }
      this.#records++;
      if (this.#records === this.#chunkRows) {
        chunks.push(this.#cut(piece, start, pos));
        start = pos;
      }
    }
    if (start < end) {
      this.#pieces.push(piece.subarray(start, end));
      this.#piecesBytes += end - start;
    }
    return chunks;
  }

  /** Flushes the last, possibly partial, chunk (a last record without a line end included). */
  end(): RawChunk[] {
    if (this.#piecesBytes === 0) return [];
    if (this.#needsHeader) {
      this.#needsHeader = false;
      this.#header = trimLineEnd(this.#take(new Uint8Array(0), 0, 0));
      return [];
    }
    const bytes = this.#take(new Uint8Array(0), 0, 0);
    if (bytes.length > 0 && bytes[bytes.length - 1] !== NEWLINE) this.#records++;
    return [this.#emit(bytes)];
  }

  /** Bytes held for the chunk being assembled: what a caller bounding memory watches. */
  get pendingBytes(): number {
    return this.#piecesBytes;
  }

  #cut(piece: Buffer, start: number, stop: number): RawChunk {
    return this.#emit(this.#take(piece, start, stop));
  }

  #emit(bytes: Uint8Array): RawChunk {
    const chunk: RawChunk = {
      index: this.#nextIndex++,
      bytes,
      firstLine: this.#linesBeforeChunk + 1,
      records: this.#records,
    };
    this.#linesBeforeChunk += this.#linesInChunk;
    this.#linesInChunk = 0;
    this.#records = 0;
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
