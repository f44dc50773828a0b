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

export class OrderedWriter<T extends OrderedChunk> {
  readonly #pending = new Map<number, T>();
  #next = 0;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly output: OutputSink,
    readonly rejects: OutputSink | undefined,
    readonly onWritten: (result: T) => void,
    /** With --compare: every chunk's predictions, kept to check against the sequential baseline. */
    readonly kept: Uint8Array[] | undefined,
  ) {}

  /** Resolves once this result, and everything before it, is written. */
  add(result: T): Promise<void> {
    this.#pending.set(result.index, result);
    this.#queue = this.#queue.then(() => this.#flush());
    return this.#queue;
  }

  async #flush(): Promise<void> {
    for (let result = this.#pending.get(this.#next); result !== undefined; result = this.#pending.get(this.#next)) {
      this.#pending.delete(this.#next);
      this.#next++;
      this.kept?.push(result.output);
      if (result.output.length > 0) await this.output.write(result.output);
      if (result.rejects.length > 0 && this.rejects !== undefined) await this.rejects.write(result.rejects);
      this.onWritten(result);
    }
  }

  /** Chunks written so far. */
  get written(): number {
    return this.#next;
  }
}
