/**
 * Memory a thread reuses from one chunk to the next for a chunk's parsed arrays (features, pass-through bytes,
 * per-row bookkeeping).
 *
 * Measured on a fresh run's first pass (100k rows, 8,192-row chunks): parsing each chunk caused about 480 page
 * faults (about 1 ms) against 6 in the second pass, because every chunk's arrays were new memory: V8 frees an
 * ArrayBuffer only after a garbage collection, which the few JavaScript objects a chunk makes rarely cause, so
 * the allocator kept taking fresh pages. Reused scratch memory is touched once per thread.
 *
 * A scratch is taken for one chunk and released when its output is written; chunks scored concurrently in one
 * thread (against a server) each take their own. What a scratch held is not cleared: its users write every
 * element they later read.
 */

export class Scratch {
  readonly #buffers = new Map<string, ArrayBuffer>();

  /** At least `bytes` bytes for `purpose`, the same memory each time it is big enough. */
  buffer(purpose: string, bytes: number): ArrayBuffer {
    const held = this.#buffers.get(purpose);
    if (held !== undefined && held.byteLength >= bytes) return held;
    // A little room to spare, so that chunks of slightly different sizes do not grow it every time.
    const buffer = new ArrayBuffer(Math.max(64, Math.ceil(bytes * 1.125)));
    this.#buffers.set(purpose, buffer);
    return buffer;
  }

  /** Replaces each buffer with one `scale` times its size, every page touched (see reserveScratch). */
  reserve(scale: number): void {
    for (const [purpose, held] of this.#buffers) {
      const bytes = Math.ceil(held.byteLength * scale);
      if (bytes <= held.byteLength) continue;
      const buffer = new ArrayBuffer(bytes);
      // A large ArrayBuffer is zeroed by mapping fresh pages, which fault on first write: write them now.
      new Uint8Array(buffer).fill(0);
      this.#buffers.set(purpose, buffer);
    }
  }

  int32(purpose: string, length: number): Int32Array {
    return new Int32Array(this.buffer(purpose, 4 * length), 0, length);
  }
}

const free: Scratch[] = [];

export function takeScratch(): Scratch {
  return free.pop() ?? new Scratch();
}

export function releaseScratch(scratch: Scratch): void {
  free.push(scratch);
}

/** Grows every idle scratch of this thread to `scale` times its size, ahead of larger chunks. */
export function reserveScratch(scale: number): void {
  for (const scratch of free) scratch.reserve(scale);
}
