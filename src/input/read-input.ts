/**
 * Opens a snapshot: a file or stdin, CSV or NDJSON, gzip-compressed or not. Returns a stream of raw bytes;
 * nothing is parsed here.
 */

import { createReadStream, readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BatchInferError } from '../errors.js';
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
}

export interface InputRequest {
  /** A path, '-' for stdin, or undefined for stdin. */
  path: string | undefined;
  format: InputFormat | undefined;
  /** Bytes from elsewhere (tests, benchmarks), read instead of a file or stdin; `path` then only names them. */
  source?: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
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

export async function openInput(request: InputRequest): Promise<OpenedInput> {
  const isStdin = request.source === undefined && (request.path === undefined || request.path === '-');
  const name = isStdin ? 'stdin' : (request.path ?? 'input');
  let raw: Readable;
  let sizeBytes: number | undefined;
  if (request.source !== undefined) {
    raw = Readable.from(request.source, { objectMode: false });
  } else if (isStdin) {
    if (process.stdin.isTTY) {
      throw new BatchInferError('USAGE', 'no input: give a snapshot file, or pipe one to stdin');
    }
    raw = process.stdin;
  } else {
    try {
      const stat = statSync(name);
      if (stat.isDirectory()) throw new BatchInferError('INPUT_UNREADABLE', `${name}: is a directory, not a snapshot file`);
      sizeBytes = stat.size;
    } catch (error) {
      if (error instanceof BatchInferError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new BatchInferError(code === 'ENOENT' ? 'INPUT_NOT_FOUND' : 'INPUT_UNREADABLE', `${name}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    // A small file in one read: replay opens a snapshot a minute, and each stream round trip costs main-thread time.
    raw = sizeBytes <= SMALL_FILE_BYTES ? Readable.from([readFileSync(name)], { objectMode: false }) : createReadStream(name, { highWaterMark: 1 << 20 });
  }
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
  const head = first.done ? Buffer.alloc(0) : first.value;
  const isGzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  async function* rest(): AsyncGenerator<Uint8Array> {
    if (!first.done) yield first.value;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  let bytes: AsyncIterable<Uint8Array> = rest();
  if (isGzip) {
    const gunzip = createGunzip();
    const compressed = rest();
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
    bytes = (async function* () {
      try {
        for await (const piece of gunzip) yield piece as Uint8Array;
      } catch (error) {
        throw new BatchInferError('INPUT_UNREADABLE', `${name}: not a valid gzip stream: ${(error as Error).message}`);
      }
    })();
  }

  let format = request.format ?? (isStdin ? undefined : formatFromName(name));
  if (format === undefined) {
    // Sniffed from the first decompressed byte: NDJSON lines are objects.
    let sniffed: InputFormat = 'csv';
    bytes = peekable(bytes, (piece) => {
      const text = Buffer.from(piece.subarray(0, 64)).toString('utf8').replace(/^\uFEFF/, '').trimStart();
      sniffed = text.startsWith('{') ? 'ndjson' : 'csv';
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
  const path = isStdin || request.source !== undefined ? undefined : name;
  return { name, path, format, isGzip, sizeBytes, bytes, bytesRead: () => bytesRead };
}
