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

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The WebAssembly globals Node has, which this project's type libraries (ES2023, node) do not declare.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

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
  module ??= new WebAssembly.Instance(new WebAssembly.Module(readFileSync(WASM_FILE)), {}).exports as CsvWasm;
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
    const memory = this.wasm.memory;
    highWater = Math.max(highWater, this.#at - this.wasm.heap_base());
    if (this.#at > memory.buffer.byteLength) memory.grow(Math.ceil((this.#at - memory.buffer.byteLength) / 65536));
    return memory.buffer;
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
  const memory = module.memory;
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  new Uint8Array(memory.buffer, module.heap_base(), end - module.heap_base()).fill(0);
}
