/**
 * Subnormal weights: float32 values below 2^-126 in magnitude (other than zero). A trained network often has
 * some (L2 regularisation decays a dead unit's weights towards zero), and on x86 every multiply that reads one,
 * or gives one, takes a microcode assist of a hundred cycles or more. onnxruntime leaves the processor's
 * flush-to-zero mode off unless asked, and its option for it (session.set_denormal_as_zero) takes effect only for
 * the first session created in a process, on the thread that creates it: no use to a pool of worker threads.
 *
 * So the weights themselves are flushed: a copy of the model's bytes with every subnormal float32 and float64
 * constant set to a zero of the same sign, as the processor's denormals-are-zero mode would read it. The copy is
 * made in place, byte for byte (a float keeps its four bytes), so nothing else in the file changes. Whether the
 * predictions stay the same is not assumed: prove-flush.ts proves it on a sample before a run uses the copy.
 *
 * Measured here (docs/performance.md): the fixture autoencoder has 37 subnormal weights among 24k, and
 * onnxruntime scored it at 1.27-1.50 us/row per thread as it is against 0.56-0.57 with them flushed.
 */

import { BYTES, FIXED32, FIXED64, Reader, VARINT } from './compiled/protobuf-reader.js';

/** TensorProto.DataType: FLOAT and DOUBLE. */
const FLOAT = 1;
const DOUBLE = 11;
/** TensorProto.DataLocation EXTERNAL: the values are in another file, which a copy of the bytes cannot reach. */
const EXTERNAL = 1;

export interface FlushedModel {
  /** A copy of the model's bytes with the subnormal constants zeroed. */
  bytes: Uint8Array;
  /** How many values were zeroed (0: the copy equals the model). */
  flushed: number;
}

/** A tensor's value runs, noted while its message is read (its data type may come after them). */
interface TensorRuns {
  dataType: number;
  /** Byte ranges of little-endian values, by field: raw_data (9), packed float_data (4) or double_data (10). */
  spans: [field: number, start: number, end: number][];
  /** Offsets of single unpacked values, by field: float_data (4 bytes) or double_data (8 bytes). */
  singles: [field: number, at: number][];
  isExternal: boolean;
}

/** The wire walk: every TensorProto a model holds as a constant, with where its values are. */
class TensorFinder {
  readonly tensors: TensorRuns[] = [];
  readonly #bytes: Uint8Array;
  readonly #view: DataView;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** ModelProto: graph (7), functions (25). */
  model(): void {
    this.#fields(new Reader(this.#bytes, this.#view, 0, this.#bytes.length), { 7: (r) => this.#graph(r), 25: (r) => this.#function(r) });
  }

  /** GraphProto: node (1), initializer (5), sparse_initializer (15). */
  #graph(r: Reader): void {
    this.#fields(r, { 1: (s) => this.#node(s), 5: (s) => this.#tensor(s), 15: (s) => this.#sparse(s) });
  }

  /** FunctionProto: node (7). */
  #function(r: Reader): void {
    this.#fields(r, { 7: (s) => this.#node(s) });
  }

  /** NodeProto: attribute (5). */
  #node(r: Reader): void {
    this.#fields(r, { 5: (s) => this.#attribute(s) });
  }

  /** AttributeProto: t (5), g (6), tensors (10), graphs (11), sparse_tensor (22), sparse_tensors (23). */
  #attribute(r: Reader): void {
    this.#fields(r, {
      5: (s) => this.#tensor(s),
      6: (s) => this.#graph(s),
      10: (s) => this.#tensor(s),
      11: (s) => this.#graph(s),
      22: (s) => this.#sparse(s),
      23: (s) => this.#sparse(s),
    });
  }

  /** SparseTensorProto: values (1). */
  #sparse(r: Reader): void {
    this.#fields(r, { 1: (s) => this.#tensor(s) });
  }

  /** TensorProto: data_type (2), float_data (4), raw_data (9), double_data (10), data_location (14). */
  #tensor(r: Reader): void {
    const runs: TensorRuns = { dataType: 0, spans: [], singles: [], isExternal: false };
    while (r.pos < r.end) {
      const tag = r.uint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 2 && wire === VARINT) runs.dataType = r.int32();
      else if (field === 14 && wire === VARINT) runs.isExternal = r.int32() === EXTERNAL;
      else if ((field === 4 || field === 9 || field === 10) && wire === BYTES) runs.spans.push([field, ...r.span()]);
      else if ((field === 4 && wire === FIXED32) || (field === 10 && wire === FIXED64)) {
        runs.singles.push([field, r.pos]);
        r.skip(wire);
      } else r.skip(wire);
    }
    this.tensors.push(runs);
  }

  /** Reads a message's fields, handing each length-delimited one it names to its reader. */
  #fields(r: Reader, readers: Record<number, (sub: Reader) => void>): void {
    while (r.pos < r.end) {
      const tag = r.uint32();
      const read = readers[tag >>> 3];
      if (read !== undefined && (tag & 7) === BYTES) read(r.sub());
      else r.skip(tag & 7);
    }
  }
}

/** Zeroes (keeping the sign) every subnormal float32 in bytes [start, end); returns how many. */
function flushFloats(view: DataView, start: number, end: number): number {
  let count = 0;
  for (let at = start; at + 4 <= end; at += 4) {
    const bits = view.getUint32(at, true);
    if ((bits & 0x7f800000) === 0 && (bits & 0x007fffff) !== 0) {
      view.setUint32(at, bits & 0x80000000, true);
      count++;
    }
  }
  return count;
}

/** The same for float64. */
function flushDoubles(view: DataView, start: number, end: number): number {
  let count = 0;
  for (let at = start; at + 8 <= end; at += 8) {
    const high = view.getUint32(at + 4, true);
    if ((high & 0x7ff00000) === 0 && ((high & 0x000fffff) !== 0 || view.getUint32(at, true) !== 0)) {
      view.setUint32(at, 0, true);
      view.setUint32(at + 4, high & 0x80000000, true);
      count++;
    }
  }
  return count;
}

/**
 * A copy of the model with its subnormal float32 and float64 constants flushed to zero, or undefined when the
 * model cannot be read as ONNX's wire format or keeps some values in an external file.
 */
export function flushSubnormalWeights(model: Uint8Array): FlushedModel | undefined {
  const bytes = Uint8Array.from(model);
  const finder = new TensorFinder(bytes);
  try {
    finder.model();
  } catch {
    return undefined;
  }
  if (finder.tensors.some((t) => t.isExternal)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let flushed = 0;
  for (const tensor of finder.tensors) {
    // A float32 tensor's values are in raw_data or float_data, a float64 tensor's in raw_data or double_data.
    const [own, size, flush] = tensor.dataType === FLOAT ? [4, 4, flushFloats] : tensor.dataType === DOUBLE ? [10, 8, flushDoubles] : [0, 0, undefined];
    if (flush === undefined) continue;
    for (const [field, start, end] of tensor.spans) if (field === own || field === 9) flushed += flush(view, start, end);
    for (const [field, at] of tensor.singles) if (field === own) flushed += flush(view, at, at + size);
  }
  return { bytes, flushed };
}
