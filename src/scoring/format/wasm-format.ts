/**
 * CSV output rows by the row formatter in the WebAssembly module of csv-wasm.ts, for the common case: every
 * output column a float32 score, a 0/1 flag or an integer label that fits in int32. It writes the same bytes as
 * formatRows' JavaScript loop with ByteWriter.float32 (the shortest decimal that reads back to the same float32)
 * and String() of the integers, which took about 20 ms per 100k rows on one thread here;
 * test/unit/wasm-format.test.ts holds the two to each other.
 */

import { csvWasm, WasmLayout } from '../csv-wasm.js';

export interface CsvColumn {
  /** float32 scores, 0/1 flags in bytes, or int32 values (labels); row r's value at r * width + offset. */
  values: Float32Array | Uint8Array | Int32Array;
  width: number;
  offset: number;
}

/** Room per value: the longest float32 text ("-0.00000123456789", 17 characters), its comma and one spare. */
const MAX_VALUE_BYTES = 19;

/**
 * Row r: passthrough[passthroughEnds[r - 1] .. passthroughEnds[r]), then each column (comma-separated, with a
 * comma first when there are pass-through columns), then a newline. The result owns its buffer.
 */
export function formatCsvRows(passthrough: Uint8Array, passthroughEnds: Int32Array, hasPassthrough: boolean, rows: number, columns: readonly CsvColumn[]): Uint8Array {
  const wasm = csvWasm();
  const at = new WasmLayout(wasm);
  const passthroughBytes = rows === 0 ? 0 : passthroughEnds[rows - 1]!;
  const passthroughAt = at.take(passthroughBytes);
  const endsAt = at.take(4 * rows);
  // Each distinct values array once: a model's columns often share one output tensor.
  const arrays = [...new Set(columns.map((c) => c.values))];
  const arraysAt = arrays.map((values) => at.take(values.byteLength));
  const columnsAt = at.take(16 * columns.length);
  const outAt = at.take(passthroughBytes + rows * (1 + MAX_VALUE_BYTES * columns.length));
  const buffer = at.buffer();
  new Uint8Array(buffer, passthroughAt, passthroughBytes).set(passthrough.subarray(0, passthroughBytes));
  new Int32Array(buffer, endsAt, rows).set(passthroughEnds.subarray(0, rows));
  arrays.forEach((values, i) => new Uint8Array(buffer, arraysAt[i]!, values.byteLength).set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)));
  const table = new DataView(buffer, columnsAt, 16 * columns.length);
  columns.forEach((column, c) => {
    table.setUint32(16 * c, column.values instanceof Uint8Array ? 1 : column.values instanceof Int32Array ? 2 : 0, true);
    table.setUint32(16 * c + 4, arraysAt[arrays.indexOf(column.values)]!, true);
    table.setUint32(16 * c + 8, column.width, true);
    table.setUint32(16 * c + 12, column.offset, true);
  });
  const written = wasm.format_rows(passthroughAt, endsAt, hasPassthrough ? 1 : 0, rows, columnsAt, columns.length, outAt);
  return new Uint8Array(buffer, outAt, written).slice();
}
