/**
 * The WebAssembly plumbing both kernels share (wasm/csv-scan for CSV scanning and formatting, wasm/tree-walk for
 * the compiled forests): the globals Node has, which this project's type libraries (ES2023, node) do not declare,
 * a committed .wasm file compiled once per thread, and memory grown to fit a layout.
 */

import { readFileSync } from 'node:fs';

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

const compiledFiles = new Map<string, object>();

/** A new instance of the module in `file` (compiled at its first use in this thread), typed as `T`. */
export function instantiateWasm<T>(file: string): T {
  let compiled = compiledFiles.get(file);
  if (compiled === undefined) {
    compiled = new WebAssembly.Module(readFileSync(file));
    compiledFiles.set(file, compiled);
  }
  return new WebAssembly.Instance(compiled, {}).exports as T;
}

/** Grows `memory` so that it holds `end` bytes; views made before a growth are stale. */
export function growWasmMemory(memory: WasmMemory, end: number): void {
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
}
