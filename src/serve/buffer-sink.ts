/**
 * A snapshot's predictions or rejects held in memory until the snapshot is done: the response then carries its
 * row counts as ordinary headers and a Content-Length, and a failure mid-way is an error status, never half a
 * body that looks complete. Memory per request is bounded by the body limit.
 */

import type { OutputSink } from '../output/write-output.js';

export interface BufferSink extends OutputSink {
  /**
   * Everything written, in order, once committed: the header and each chunk's result as they came. Sent as they
   * are (one writev), not joined: joining copied the whole response once more, and every copy is garbage.
   */
  parts(): readonly Buffer[];
  /** The parts' total length. */
  byteLength(): number;
}

export function openBufferSink(): BufferSink {
  let parts: Buffer[] = [];
  let length = 0;
  return {
    async write(bytes) {
      // A view, not a copy: each chunk's result owns its memory (moved from the worker).
      const part = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      parts.push(part);
      length += part.length;
    },
    async commit() {
      // Nothing to flush: the parts are the body.
    },
    abort() {
      parts = [];
      length = 0;
    },
    parts() {
      return parts;
    },
    byteLength() {
      return length;
    },
  };
}
