/**
 * How many snapshots are scored at once, and how many requests may wait for a turn. A waiting request has not
 * read its body (the kernel's socket buffers hold what the client sent), so the wait costs no memory; beyond
 * the queue's bound a request is refused at once with 503 and Retry-After, never held.
 */

import { HttpError } from './http-error.js';

export class Admission {
  #active = 0;
  readonly #waiting: { resume: () => void }[] = [];

  constructor(
    readonly maxActive: number,
    readonly maxQueue: number,
  ) {}

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves with the function that gives the turn back; throws 503 when the queue is full. */
  async enter(signal: AbortSignal): Promise<() => void> {
    if (this.#active < this.maxActive) {
      this.#active++;
      return this.#leave();
    }
    if (this.#waiting.length >= this.maxQueue) {
      throw new HttpError(503, 'QUEUE_FULL', `${this.#active} snapshots are being scored and ${this.#waiting.length} wait: try again shortly`, { 'Retry-After': '1' });
    }
    const waiter = { resume: () => undefined as void };
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
        reject(signal.reason);
      };
      waiter.resume = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#waiting.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return this.#leave();
  }

  /** The turn passes to the first waiter, or is freed. */
  #leave(): () => void {
    let isLeft = false;
    return () => {
      if (isLeft) return;
      isLeft = true;
      const next = this.#waiting.shift();
      if (next === undefined) this.#active--;
      else next.resume();
    };
  }
}
