/**
 * Detaches one ArrayBuffer, once, before any hot code is optimised.
 *
 * V8's optimised code may assume that no ArrayBuffer has ever been detached, until one is; then every function
 * compiled that way is deoptimised at once. Moving a chunk to a worker, or a result back, detaches its buffer,
 * so without this the first transfer threw away the compiled parser, formatter and splitter in each thread
 * (seen with --trace-deopt as "code dependencies" for all of them, and a worker's second chunk running 3-6x
 * slower than the rest). Called first thing in the main thread and in every worker.
 */
export function detachOneBufferEarly(): void {
  const buffer = new ArrayBuffer(8);
  structuredClone(buffer, { transfer: [buffer] });
}
