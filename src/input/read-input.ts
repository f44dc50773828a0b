/**
 * Opens a snapshot: a file or stdin, CSV or NDJSON, gzip-compressed or not. Returns a stream of raw bytes;
 * nothing is parsed here.
 */

import { createReadStream, readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BatchInferError, readFailedError } from '../errors.js';
import type { InputFormat } from '../model/scoring-plan.js';

export interface OpenedInput {
  /** How messages name the input: the path, or 'stdin'. */
  name: string;
  /** The file's path; undefined for stdin or an in-memory source. */
  path: string | undefined;
  format: InputFormat;
  isGzip: boolean;
  /** On-disk size in bytes (compressed size for .gz), when known. */
  sizeBytes: number | undefined;
  /** Raw (decompressed) bytes. */
  bytes: AsyncIterable<Uint8Array>;
  /** Compressed bytes read so far, for progress against sizeBytes. */
  bytesRead: () => number;
  /** Stops reading now, even with a read pending (a stalled stdin must not keep the process alive). */
  close: () => void;
}

export interface InputRequest {
  /** A path, '-' for stdin, or undefined for stdin. */
  path: string | undefined;
  format: InputFormat | undefined;
  /** Bytes from elsewhere (tests, benchmarks), read instead of a file or stdin; `path` then only names them. */
  source?: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** The size of `source` when known (a request's Content-Length): chunks are then balanced as for a file. */
  sizeBytes?: number;
}

const SMALL_FILE_BYTES = 8 << 20;

export function formatFromName(name: string): InputFormat | undefined {
  const base = name.toLowerCase().replace(/\.gz$/, '');
  if (base.endsWith('.csv')) return 'csv';
  if (base.endsWith('.ndjson') || base.endsWith('.jsonl')) return 'ndjson';
  return undefined;
}

/** Reads the first bytes of a stream without losing them, to sniff gzip and the format. */
async function* peekable(source: AsyncIterable<Uint8Array>, onFirst: (first: Uint8Array) => void): AsyncGenerator<Uint8Array> {
  let isFirst = true;
  for await (const piece of source) {
    if (isFirst) {
      isFirst = false;
      onFirst(piece);
    }
    yield piece;
  }
  if (isFirst) onFirst(new Uint8Array(0));
}

/** The format from the first decompressed bytes: NDJSON lines are objects. */
export function sniffFormat(first: Uint8Array): InputFormat {
  const text = Buffer.from(first.subarray(0, 64)).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return text.startsWith('{') ? 'ndjson' : 'csv';
}

function isGzipMagic(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** The size of a snapshot file, or the one-line error naming it (run checks it before any worker starts). */
export function statInput(name: string): number {
  try {
    const stat = statSync(name);
    if (stat.isDirectory()) throw new BatchInferError('INPUT_UNREADABLE', `${name}: is a directory, not a snapshot file`);
    return stat.size;
  } catch (error) {
    if (error instanceof BatchInferError) throw error;
    throw readFailedError(name, error);
  }
}

function readWholeFile(name: string): Buffer {
  try {
    return readFileSync(name);
  } catch (error) {
    throw new BatchInferError('INPUT_UNREADABLE', `${name}: ${(error as Error).message}`);
  }
}

export async function openInput(request: InputRequest): Promise<OpenedInput> {
  const isStdin = request.source === undefined && (request.path === undefined || request.path === '-');
  const name = isStdin ? 'stdin' : (request.path ?? 'input');
  const path = isStdin || request.source !== undefined ? undefined : name;
  let raw: Readable;
  let sizeBytes: number | undefined;
  if (request.source !== undefined) {
    raw = Readable.from(request.source, { objectMode: false });
    sizeBytes = request.sizeBytes;
  } else if (isStdin) {
    if (process.stdin.isTTY) {
      throw new BatchInferError('USAGE', 'no input: give a snapshot file, or pipe one to stdin');
    }
    raw = process.stdin;
  } else {
    sizeBytes = statInput(name);
    if (sizeBytes > SMALL_FILE_BYTES) {
      raw = createReadStream(name, { highWaterMark: 1 << 20 });
    } else {
      // A small file in one read: replay opens several a second, and each stream round trip costs main-thread time.
      const whole = readWholeFile(name);
      if (!isGzipMagic(whole)) return openWholeFile(request, name, whole, sizeBytes);
      raw = Readable.from([whole], { objectMode: false });
    }
  }
  return openStream(request, name, path, raw, sizeBytes);
}

/** A small uncompressed file, read whole: no stream at all. */
function openWholeFile(request: InputRequest, name: string, whole: Buffer, sizeBytes: number): OpenedInput {
  let bytesRead = 0;
  const bytes = (async function* () {
    bytesRead = whole.length;
    if (whole.length > 0) yield whole as Uint8Array;
  })();
  const format = request.format ?? formatFromName(name) ?? sniffFormat(whole);
  return { name, path: name, format, isGzip: false, sizeBytes, bytes, bytesRead: () => bytesRead, close: () => undefined };
}

async function openStream(request: InputRequest, name: string, path: string | undefined, raw: Readable, sizeBytes: number | undefined): Promise<OpenedInput> {
  let bytesRead = 0;
  raw.on('data', (piece: Buffer) => {
    bytesRead += piece.length;
  });

  // Sniff the first piece: gzip by its magic bytes (so stdin works too), the format by the name or the first byte.
  const iterator = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let first: IteratorResult<Buffer>;
  try {
    first = await iterator.next();
  } catch (error) {
    throw new BatchInferError('INPUT_UNREADABLE', `${name}: ${(error as Error).message}`);
  }
  const isGzip = !first.done && isGzipMagic(first.value);
  async function* rest(): AsyncGenerator<Uint8Array> {
    if (!first.done) yield first.value;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  let bytes: AsyncIterable<Uint8Array> = isGzip ? gunzipped(rest(), name) : rest();
  let format = request.format ?? (path === undefined && request.source === undefined ? undefined : formatFromName(name));
  if (format === undefined) {
    let sniffed: InputFormat = 'csv';
    bytes = peekable(bytes, (piece) => {
      sniffed = sniffFormat(piece);
    });
    const source = bytes[Symbol.asyncIterator]();
    const firstDecoded = await source.next();
    format = sniffed;
    bytes = (async function* () {
      if (!firstDecoded.done) yield firstDecoded.value;
      for (;;) {
        const next = await source.next();
        if (next.done) return;
        yield next.value;
      }
    })();
  }
  // stdin is destroyed like any stream: nothing reads it after the snapshot.
  return { name, path, format, isGzip, sizeBytes, bytes, bytesRead: () => bytesRead, close: () => raw.destroy() };
}

function gunzipped(compressed: AsyncIterable<Uint8Array>, name: string): AsyncIterable<Uint8Array> {
  const gunzip = createGunzip();
  void (async () => {
    try {
      for await (const piece of compressed) {
        if (!gunzip.write(piece)) await new Promise((resolve) => gunzip.once('drain', resolve));
      }
      gunzip.end();
    } catch (error) {
      gunzip.destroy(error as Error);
    }
  })();
  return (async function* () {
    try {
      for await (const piece of gunzip) yield piece as Uint8Array;
    } catch (error) {
      throw new BatchInferError('INPUT_UNREADABLE', `${name}: not a valid gzip stream: ${(error as Error).message}`);
    }
  })();
}
