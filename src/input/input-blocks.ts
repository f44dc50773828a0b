/**
 * The blocks the splitter copies input into. Shared blocks (SharedArrayBuffer) let a chunk reach a worker thread
 * without a copy or a transfer and stay readable here for a retry or a reject; released blocks are kept for the
 * next chunks and snapshots of this thread.
 */

/** Input is copied into blocks of at least this size; every chunk is a view of one block. */
export const BLOCK_BYTES = 4 << 20;
/**
 * Released blocks kept for reuse, by every splitter in this thread (replay cuts one snapshot after another).
 * Fresh memory costs a page fault per page on first write: measured here, a new block per 4 MiB of input made
 * cutting a 1M-row snapshot slower than copying every chunk had been.
 */
const FREE_BLOCKS = 8;
const freeBlocks: Buffer[] = [];

export interface Block {
  buffer: Buffer;
  /** Chunks cut from it and not yet released. */
  pending: number;
  isCurrent: boolean;
}

/** A block for at least `bytes` bytes: a reused shared one when it fits, else a new one with room to spare. */
export function allocateBlock(bytes: number, isShared: boolean): Buffer {
  // Private blocks (a whole small file in a worker) take what they need: a 4 MiB block per file of a replay
  // showed up as page faults and garbage collections.
  if (!isShared) return Buffer.allocUnsafeSlow(Math.max(1 << 16, 2 * bytes));
  if (bytes <= BLOCK_BYTES) {
    const free = freeBlocks.pop();
    if (free !== undefined) return free;
  }
  return Buffer.from(new SharedArrayBuffer(Math.max(BLOCK_BYTES, 2 * bytes)));
}

/** Keeps a block for reuse once the splitter has moved past it and every chunk cut from it is released. */
export function recycleBlock(block: Block): void {
  if (block.isCurrent || block.pending > 0 || block.buffer.length !== BLOCK_BYTES) return;
  if (freeBlocks.length < FREE_BLOCKS) freeBlocks.push(block.buffer);
}
