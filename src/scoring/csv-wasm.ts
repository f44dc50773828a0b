/**
 * The fast paths' WebAssembly module, compiled from wasm/csv-scan (Rust, no dependencies; wasm/build.sh rebuilds
 * the committed wasm/csv-scan.wasm byte for byte): the CSV record scanner (parse/wasm-scan.ts) and the CSV row
 * formatter (output/wasm-format.ts). It is compiled once per thread, at first use (0.35-0.5 ms here for
 * compiling and instantiating), and needs no per-thread JIT warm-up the way the same code in JavaScript did.
 *
 * Its memory is scratch space: each call lays out its arrays from heap_base, and every caller copies what it
 * needs out before it awaits anything, so that chunks scored concurrently in one thread cannot see each
 * other's data.
 */

import { fileURLToPath } from 'node:url';
import { growWasmMemory, instantiateWasm, type WasmMemory } from '../model/wasm-module.js';

export interface CsvWasm {
  memory: WasmMemory;
  heap_base(): number;
  count_newlines(bytes: number, length: number): number;
  find_records(bytes: number, length: number, firstLine: number, capacity: number, starts: number, ends: number, lines: number): number;
  scan_records(...pointersAndCounts: number[]): number;
  format_rows(...pointersAndCounts: number[]): number;
}

const WASM_FILE = fileURLToPath(new URL('../../../wasm/csv-scan.wasm', import.meta.url));

let module: CsvWasm | undefined;
/** The most memory one layout in this thread has taken past heap_base. */
let highWater = 0;

export function csvWasm(): CsvWasm {
  module ??= instantiateWasm<CsvWasm>(WASM_FILE);
  return module;
}

/** Lays arrays out one after another in the module's memory, each aligned to 8 bytes, from heap_base. */
export class WasmLayout {
  #at: number;
  constructor(readonly wasm: CsvWasm) {
    this.#at = wasm.heap_base();
  }

  take(bytes: number): number {
    const start = (this.#at + 7) & ~7;
    this.#at = start + bytes;
    return start;
  }

  /** Grows the memory to hold everything taken; returns its buffer (views made before a growth are stale). */
  buffer(): ArrayBuffer {
    highWater = Math.max(highWater, this.#at - this.wasm.heap_base());
    growWasmMemory(this.wasm.memory, this.#at);
    return this.wasm.memory.buffer;
  }
}

/**
 * Grows this thread's module memory to what the largest layout so far would take at `scale` times its size, and
 * touches every page of it, so that the first chunk after a small warm-up sample does not fault its memory in
 * page by page (see warm-up.ts). Does nothing when the module was never used in this thread.
 */
export function reserveWasmMemory(scale: number): void {
  if (module === undefined || highWater === 0) return;
  const end = module.heap_base() + Math.ceil(highWater * scale);
  growWasmMemory(module.memory, end);
  new Uint8Array(module.memory.buffer, module.heap_base(), end - module.heap_base()).fill(0);
}
