/**
 * Writes chunk results in input order as they arrive out of order. Holds at most the results that arrived
 * ahead of the next one to write: bounded by the chunks in flight.
 */

import type { OutputSink } from './write-output.js';

/** What the writer needs of a chunk's result: its place in the input, its output and its rejects. */
export interface OrderedChunk {
  index: number;
  output: Uint8Array;
  rejects: Uint8Array;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class OrderedWriter<T extends OrderedChunk> {
  readonly #pending = new Map<number, T>();
  /** Per result held or being written: settled once it is written (or a write failed). */
  readonly #waiting = new Map<number, Waiter>();
  #next = 0;
  #queue: Promise<void> = Promise.resolve();
  #failure: { error: unknown } | undefined;

  constructor(
    readonly output: OutputSink,
    readonly rejects: OutputSink | undefined,
    readonly onWritten: (result: T) => void,
    /** With --compare: every chunk's predictions, kept to check against the sequential baseline. */
    readonly kept: Uint8Array[] | undefined,
  ) {}

  /**
   * Resolves once this result, and everything before it, is written: a result held behind a slower one still
   * counts against the caller's in-flight window, which is what bounds memory.
   */
  add(result: T): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure.error);
    this.#pending.set(result.index, result);
    const written = new Promise<void>((resolve, reject) => this.#waiting.set(result.index, { resolve, reject }));
    this.#queue = this.#queue.then(() => this.#flush()).catch((error: unknown) => {
      this.#failure ??= { error };
      for (const waiter of this.#waiting.values()) waiter.reject(this.#failure.error);
      this.#waiting.clear();
    });
    return written;
  }

  async #flush(): Promise<void> {
    for (let result = this.#pending.get(this.#next); result !== undefined; result = this.#pending.get(this.#next)) {
      this.#pending.delete(this.#next);
      this.#next++;
      this.kept?.push(result.output);
      if (result.output.length > 0) await this.output.write(result.output);
      if (result.rejects.length > 0 && this.rejects !== undefined) await this.rejects.write(result.rejects);
      this.onWritten(result);
      this.#waiting.get(result.index)?.resolve();
      this.#waiting.delete(result.index);
    }
  }

  /** Chunks written so far. */
  get written(): number {
    return this.#next;
  }
}
