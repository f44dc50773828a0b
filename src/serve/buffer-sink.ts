/**
 * A snapshot's predictions or rejects held in memory until the snapshot is done: the response then carries its
 * row counts as ordinary headers and a Content-Length, and a failure mid-way is an error status, never half a
 * body that looks complete. Memory per request is bounded by the body limit.
 */

import type { OutputSink } from '../output/write-output.js';

export interface BufferSink extends OutputSink {
  /** Everything written, once committed. */
  bytes(): Buffer;
}

export function openBufferSink(): BufferSink {
  let parts: Buffer[] = [];
  return {
    async write(bytes) {
      // A view, not a copy: each chunk's result owns its memory (moved from the worker).
      parts.push(typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
    async commit() {
      parts = [Buffer.concat(parts)];
    },
    abort() {
      parts = [];
    },
    bytes() {
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    },
  };
}
