/**
 * Cuts a byte stream into chunks at record boundaries without parsing fields, so that the main thread stays
 * light and the workers do the parsing. CSV cuts are quote-aware: a newline inside a quoted field does not end
 * a record (RFC 4180). NDJSON cuts at every newline (JSON strings cannot hold a raw newline).
 *
 * A record longer than maxRecordBytes is not held in memory: its first physical line becomes a chunk of its own
 * marked `rejected`, which the run turns into one reject, and cutting resumes at the next line with the quote
 * state reset. A record that long is nearly always a stray quote that opened a field nobody closes; rejecting
 * the whole record would lose every row after it. So does a quote still open at the end of the input.
 */

import { BatchInferError } from '../errors.js';
import type { InputFormat } from '../model/scoring-plan.js';
import { allocateBlock, recycleBlock, type Block } from './input-blocks.js';
import type { RawChunk, RejectedLine } from './raw-chunk.js';

const NEWLINE = 0x0a;
const RETURN = 0x0d;
const QUOTE = 0x22;
const PREVIEW_BYTES = 200;

export interface SplitterOptions {
  format: InputFormat;
  chunkRows: number;
  /** Whether the first record is a header (CSV); it is kept apart from the chunks. */
  hasHeader: boolean;
  maxRecordBytes?: number;
  /**
   * Hold the input in SharedArrayBuffer blocks (the default), so that a chunk reaches a worker thread without
   * a copy or a transfer and stays readable here for a retry or a reject. Off where the chunks never leave
   * the thread that cut them.
   */
  isShared?: boolean;
}

export class RecordSplitter {
  readonly #format: InputFormat;
  /** Rows per chunk; may be changed before the first push (see balancedChunkRows in snapshot/balanced-chunks.ts). */
  chunkRows: number;
  readonly #maxRecordBytes: number;
  readonly #isShared: boolean;
  #needsHeader: boolean;
  #isStart = true;
  #header: Uint8Array | undefined;
  #headerLine = 1;
  /** The block being filled; bytes before #chunkStart belong to chunks already emitted (views of it). */
  #block: Buffer = Buffer.alloc(0);
  #blockState: Block = { buffer: this.#block, pending: 0, isCurrent: true };
  #filled = 0;
  /** Offsets in the block of the current chunk's and record's first bytes. */
  #chunkStart = 0;
  #recordStart = 0;
  #isInQuotes = false;
  #records = 0;
  /** Lines before the current chunk; lines within it before the current record; lines within the record. */
  #linesBeforeChunk = 0;
  #chunkLines = 0;
  #recordLines = 0;
  /** Dropping a line longer than the limit until it ends. */
  #skipping: RejectedLine | undefined;
  #nextIndex = 0;

  constructor(options: SplitterOptions) {
    this.#format = options.format;
    this.chunkRows = options.chunkRows;
    this.#needsHeader = options.hasHeader;
    this.#maxRecordBytes = options.maxRecordBytes ?? Number.POSITIVE_INFINITY;
    this.#isShared = options.isShared ?? true;
  }

  /** The header record's bytes (without its line end), once seen. */
  get header(): Uint8Array | undefined {
    return this.#header;
  }

  /** The physical line the header starts on: 1, unless blank lines come before it. */
  get headerLine(): number {
    return this.#headerLine;
  }

  push(input: Uint8Array): RawChunk[] {
    let piece = input;
    if (this.#isStart && piece.length > 0) {
      this.#isStart = false;
      // A UTF-8 byte order mark is not part of the first column's name.
      if (piece[0] === 0xef && piece[1] === 0xbb && piece[2] === 0xbf) piece = piece.subarray(3);
    }
    const chunks: RawChunk[] = [];
    if (this.#skipping !== undefined) {
      const newline = piece.indexOf(NEWLINE);
      if (newline === -1) {
        this.#skipping.bytes += piece.length;
        return chunks;
      }
      this.#skipping.bytes += newline + 1;
      chunks.push(this.#emitRejected(this.#skipping));
      this.#skipping = undefined;
      this.#linesBeforeChunk++;
      piece = piece.subarray(newline + 1);
    }
    if (piece.length === 0) return chunks;
    this.#append(piece);
    // The scan reads the piece rather than the block: native indexOf on shared memory measured 2-3 times slower.
    const scanned = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    let resume = this.#scan(chunks, scanned, this.#filled - piece.length);
    // A line rejected for an open quote began in an earlier piece: the bytes after it are read again from the block.
    while (resume !== -1) resume = this.#scan(chunks, this.#blockBytes(resume, this.#filled), resume);
    return chunks;
  }

  /** The complete records read so far as a chunk, before chunkRows of them: input that paused (stdin). */
  cutCompleteRecords(): RawChunk[] {
    if (this.#needsHeader || this.#records === 0 || this.#skipping !== undefined) return [];
    const chunk = this.#emit(this.#view(this.#chunkStart, this.#recordStart));
    this.#chunkStart = this.#recordStart;
    return [chunk];
  }

  /** Bytes read but not yet part of a complete record: the tail a cut input leaves unread. */
  get partialRecordBytes(): number {
    return this.#filled - this.#recordStart;
  }

  /** Flushes the last, possibly partial, chunk (a last record without a line end included). */
  end(): RawChunk[] {
    const chunks = this.#flush();
    // Nothing more is cut from the last block: it can be reused once its chunks are released.
    this.#blockState.isCurrent = false;
    recycleBlock(this.#blockState);
    return chunks;
  }

  #flush(): RawChunk[] {
    const chunks: RawChunk[] = [];
    // The input ends inside a quoted field: as with a record over the limit, only the line that opened it is
    // rejected, and the lines after it are records of their own.
    while (this.#isInQuotes && !this.#needsHeader) {
      let resume = this.#rejectFirstLine(chunks, 'unclosed-quote-at-end');
      while (resume !== -1) resume = this.#scan(chunks, this.#blockBytes(resume, this.#filled), resume);
    }
    if (this.#skipping !== undefined) {
      chunks.push(this.#emitRejected(this.#skipping));
      this.#skipping = undefined;
      return chunks;
    }
    if (this.#filled === this.#chunkStart) return chunks;
    const bytes = this.#view(this.#chunkStart, this.#filled);
    this.#chunkStart = this.#filled;
    if (this.#needsHeader) {
      this.#needsHeader = false;
      this.#headerLine = this.#linesBeforeChunk + 1;
      this.#header = trimLineEnd(bytes.slice());
      return chunks;
    }
    if (bytes[bytes.length - 1] !== NEWLINE) this.#records++;
    this.#chunkLines += this.#recordLines;
    this.#recordLines = 0;
    chunks.push(this.#emit(bytes));
    return chunks;
  }

  /** Copies a piece of input into the block, starting a larger block (with the current chunk's bytes) when full. */
  #append(piece: Uint8Array): void {
    if (this.#filled + piece.length > this.#block.length) {
      const kept = this.#filled - this.#chunkStart;
      const block = allocateBlock(kept + piece.length, this.#isShared);
      block.set(this.#block.subarray(this.#chunkStart, this.#filled), 0);
      // Chunks already emitted keep the old block until they are released.
      this.#blockState.isCurrent = false;
      recycleBlock(this.#blockState);
      this.#blockState = { buffer: block, pending: 0, isCurrent: true };
      const shift = this.#chunkStart;
      this.#block = block;
      this.#filled -= shift;
      this.#chunkStart = 0;
      this.#recordStart -= shift;
    }
    this.#block.set(piece, this.#filled);
    this.#filled += piece.length;
  }

  /**
   * Finds the record ends in `bytes`, which sit at `base` in the block, and emits a chunk at every chunkRows-th.
   * When the record being read passes the limit, its first line is rejected and reading goes on after it; returns
   * where in the block to read on when that is before `base`, else -1.
   */
  #scan(chunks: RawChunk[], bytes: Buffer, base: number): number {
    let from = 0;
    while (this.#scanFrom(chunks, bytes, base, from)) {
      const resume = this.#rejectFirstLine(chunks, 'unclosed-quote');
      if (resume < base) return resume;
      from = resume - base;
    }
    return -1;
  }

  /**
   * The hot loop of the main thread: it keeps its state in locals and asks the native indexOf for each newline
   * and quote. Returns true, with the state saved, as soon as the record being read is longer than the limit.
   */
  #scanFrom(chunks: RawChunk[], piece: Buffer, base: number, from: number): boolean {
    const end = piece.length;
    const chunkRows = this.chunkRows;
    // Measured from `base`: a record that began in an earlier piece has recordStart < base.
    const maxRecordBytes = this.#maxRecordBytes;
    const limit = maxRecordBytes - base;
    let pos = from;
    let isInQuotes = this.#isInQuotes;
    let recordStart = this.#recordStart;
    let recordLines = this.#recordLines;
    let isOver = false;
    let nextQuote = this.#format === 'csv' ? piece.indexOf(QUOTE, pos) : -1;
    // The first newline at or after pos, kept rather than searched again after every quoted field.
    let nextNewline = piece.indexOf(NEWLINE, pos);
    while (pos < end) {
      if (isInQuotes) {
        const stop = nextQuote === -1 ? end : nextQuote;
        if (stop - recordStart > limit) {
          isOver = true;
          break;
        }
        while (nextNewline !== -1 && nextNewline < stop) {
          recordLines++;
          nextNewline = piece.indexOf(NEWLINE, nextNewline + 1);
        }
        if (nextQuote === -1) {
          pos = end;
          break;
        }
        isInQuotes = false;
        pos = nextQuote + 1;
        nextQuote = piece.indexOf(QUOTE, pos);
        continue;
      }
      const newline = nextNewline;
      if (nextQuote !== -1 && (newline === -1 || nextQuote < newline)) {
        isInQuotes = true;
        pos = nextQuote + 1;
        nextQuote = piece.indexOf(QUOTE, pos);
        continue;
      }
      if (newline === -1) {
        pos = end;
        break;
      }
      pos = newline + 1;
      nextNewline = piece.indexOf(NEWLINE, pos);
      recordLines++;
      const recordEnd = base + pos;
      if (recordEnd - recordStart > maxRecordBytes) {
        isOver = true;
        break;
      }
      if (this.#needsHeader) {
        this.#takeHeader(recordStart, base + newline, recordEnd, recordLines);
        recordStart = recordEnd;
        recordLines = 0;
        continue;
      }
      this.#records++;
      this.#chunkLines += recordLines;
      recordLines = 0;
      recordStart = recordEnd;
      if (this.#records === chunkRows) {
        chunks.push(this.#emit(this.#view(this.#chunkStart, recordEnd)));
        this.#chunkStart = recordEnd;
      }
    }
    this.#isInQuotes = isInQuotes;
    this.#recordStart = recordStart;
    this.#recordLines = recordLines;
    // The record not ended yet is already too long.
    return isOver || end - recordStart > limit;
  }

  /** The header record, or a blank line before it (empty or CR only, as blank lines between rows), skipped. */
  #takeHeader(start: number, newline: number, recordEnd: number, lines: number): void {
    const isBlank = newline === start || (newline === start + 1 && this.#block[start] === RETURN);
    if (!isBlank) {
      this.#needsHeader = false;
      this.#headerLine = this.#linesBeforeChunk + 1;
      this.#header = trimLineEnd(this.#view(start, newline).slice());
    }
    this.#linesBeforeChunk += lines;
    this.#chunkStart = recordEnd;
  }

  /**
   * Rejects the first physical line of the record being read (over the limit, or open at the end of the input)
   * and returns the block offset of the line after it, to read on from there with no quote open; or -1 when
   * nothing is left to read: the line is then the input's last, or it has not ended yet and the rest of it is
   * skipped as it arrives, never held in memory.
   */
  #rejectFirstLine(chunks: RawChunk[], openQuote: 'unclosed-quote' | 'unclosed-quote-at-end'): number {
    if (this.#needsHeader) this.#failHeader();
    const start = this.#recordStart;
    // The records before it form a chunk.
    if (this.#records > 0) chunks.push(this.#emit(this.#view(this.#chunkStart, start)));
    const line = this.#linesBeforeChunk + this.#chunkLines + 1;
    const newline = this.#block.subarray(start, this.#filled).indexOf(NEWLINE);
    const lineEnd = newline === -1 ? this.#filled : start + newline + 1;
    const lineBytes = this.#block.subarray(start, lineEnd);
    this.#isInQuotes = false;
    this.#recordLines = 0;
    this.#chunkStart = this.#recordStart = lineEnd;
    if (lineEnd - start > this.#maxRecordBytes || (newline === -1 && openQuote === 'unclosed-quote')) {
      const tooLong: RejectedLine = { line, kind: 'too-long', bytes: lineEnd - start, text: preview(lineBytes) };
      if (newline === -1) {
        // Its bytes are dropped: what is read next goes where it began.
        this.#filled = this.#chunkStart = this.#recordStart = start;
        this.#skipping = tooLong;
        return -1;
      }
      chunks.push(this.#emitRejected(tooLong));
    } else {
      chunks.push(this.#emitRejected({ line, kind: openQuote, bytes: lineEnd - start, text: decodeLine(lineBytes) }));
    }
    if (newline === -1) return -1;
    this.#linesBeforeChunk++;
    return lineEnd;
  }

  #failHeader(): never {
    throw new BatchInferError('INPUT_HEADER', `line ${this.#linesBeforeChunk + 1}: the header is longer than --max-line-bytes (${this.#maxRecordBytes} bytes)`);
  }

  /** A Buffer view of the block, for reading again bytes already scanned. */
  #blockBytes(start: number, stop: number): Buffer {
    return Buffer.from(this.#block.buffer, this.#block.byteOffset + start, stop - start);
  }

  /** A plain Uint8Array view of the block (its slice() copies, unlike a Buffer's). */
  #view(start: number, stop: number): Uint8Array {
    return new Uint8Array(this.#block.buffer, this.#block.byteOffset + start, stop - start);
  }

  #emit(bytes: Uint8Array): RawChunk {
    const block = this.#blockState;
    block.pending++;
    let isReleased = false;
    const release = (): void => {
      if (isReleased) return;
      isReleased = true;
      block.pending--;
      recycleBlock(block);
    };
    const chunk: RawChunk = { index: this.#nextIndex++, bytes, firstLine: this.#linesBeforeChunk + 1, records: this.#records, release };
    this.#linesBeforeChunk += this.#chunkLines;
    this.#chunkLines = 0;
    this.#records = 0;
    return chunk;
  }

  #emitRejected(rejected: RejectedLine): RawChunk {
    const chunk: RawChunk = { index: this.#nextIndex++, bytes: new Uint8Array(0), firstLine: rejected.line, records: 1, rejected };
    this.#linesBeforeChunk += this.#chunkLines;
    this.#chunkLines = 0;
    return chunk;
  }
}

function preview(bytes: Buffer): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, PREVIEW_BYTES)).toString('utf8').replace(/\r?\n$/, '');
}

function decodeLine(bytes: Uint8Array): string {
  return Buffer.from(trimLineEnd(bytes)).toString('utf8');
}

function trimLineEnd(bytes: Uint8Array): Uint8Array {
  let stop = bytes.length;
  if (stop > 0 && bytes[stop - 1] === NEWLINE) stop--;
  if (stop > 0 && bytes[stop - 1] === RETURN) stop--;
  return bytes.subarray(0, stop);
}
