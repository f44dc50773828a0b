/**
 * A compiled model's fused forests as one file, so that a worker loads them instead of fusing them again. Fusing
 * the IsolationForest (reading 100 trees' attributes, finding and tabulating their chains) is most of its load:
 * about 90 of 130 ms in a fresh worker thread (docs/performance.md). The proof (prove-engine.ts) writes the plan
 * next to its verdict, after proving the graph rebuilt from these very bytes; a worker that finds the plan decodes
 * the model without the fused nodes' attributes and builds the fused steps from it.
 *
 * Layout: "BIFP", a uint32 (little-endian) header length, the header as JSON (format version, the replaced nodes,
 * each forest's names and where its arrays are, and the SHA-256 of the array bytes), padding to 8 bytes, then the
 * arrays. Anything that does not check out is refused (decodePlan throws): the caller compiles from scratch.
 */

import type { FusedForest } from './fuse-forest.js';
import type { Value } from './values.js';
import { sha256 } from '../proof-cache.js';

export interface ForestPlan {
  /** Each fused Sum: its node's index in the graph, and the forest that replaces it and its trees. */
  fused: { sum: number; forest: FusedForest }[];
  /** The indices of the nodes the fused forests replace (trees and their per-row chains). */
  replaced: number[];
}

const MAGIC = 'BIFP';
const FORMAT = 1;

const ARRAYS = {
  roots: Int32Array,
  feature: Int32Array,
  threshold: Float64Array,
  mode: Uint8Array,
  isMissingTrue: Uint8Array,
  trueNext: Int32Array,
  falseNext: Int32Array,
  values: Float64Array,
} as const;
type ArrayName = keyof typeof ARRAYS;
const ARRAY_NAMES = Object.keys(ARRAYS) as ArrayName[];

const TYPES: readonly Value['type'][] = ['float32', 'float64', 'int32', 'int64', 'bool', 'string'];

interface ForestHeader {
  sum: number;
  input: string;
  output: string;
  type: Value['type'];
  isAllLeq: boolean;
  /** [byte offset into the data, element count] per array. */
  arrays: Record<ArrayName, [number, number]>;
}

interface Header {
  format: number;
  replaced: number[];
  forests: ForestHeader[];
  sha256: string;
}

const align8 = (n: number) => (n + 7) & ~7;

export function encodePlan(plan: ForestPlan): Uint8Array {
  let size = 0;
  const forests: ForestHeader[] = plan.fused.map(({ sum, forest }) => {
    const arrays = {} as Record<ArrayName, [number, number]>;
    for (const name of ARRAY_NAMES) {
      arrays[name] = [size, forest[name].length];
      size = align8(size + forest[name].byteLength);
    }
    return { sum, input: forest.input, output: forest.output, type: forest.type, isAllLeq: forest.isAllLeq, arrays };
  });
  const data = new Uint8Array(size);
  plan.fused.forEach(({ forest }, k) => {
    for (const name of ARRAY_NAMES) {
      const array = forest[name];
      data.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), forests[k]!.arrays[name][0]);
    }
  });
  const header: Header = { format: FORMAT, replaced: plan.replaced, forests, sha256: sha256(data) };
  const json = Buffer.from(JSON.stringify(header));
  const dataAt = align8(8 + json.length);
  const out = new Uint8Array(dataAt + size);
  out.set(Buffer.from(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  out.set(data, dataAt);
  return out;
}

function isIndex(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function readHeader(bytes: Uint8Array): { header: Header; dataAt: number } {
  if (bytes.length < 8 || Buffer.from(bytes.subarray(0, 4)).toString('latin1') !== MAGIC) throw new Error('not a forest plan');
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (8 + length > bytes.length) throw new Error('forest plan header cut short');
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + length)).toString('utf8')) as Header;
  if (header.format !== FORMAT) throw new Error(`forest plan format ${String(header.format)}, expected ${FORMAT}`);
  if (!Array.isArray(header.replaced) || !header.replaced.every(isIndex) || !Array.isArray(header.forests) || typeof header.sha256 !== 'string') {
    throw new Error('forest plan header malformed');
  }
  return { header, dataAt: align8(8 + length) };
}

/** The plan in `bytes`; throws when they are not a whole, unaltered plan of this format. */
export function decodePlan(bytes: Uint8Array): ForestPlan {
  const { header, dataAt } = readHeader(bytes);
  const data = bytes.subarray(dataAt);
  if (sha256(data) !== header.sha256) throw new Error('forest plan checksum differs');
  // A private, aligned copy: typed-array views need their element alignment.
  const buffer = new ArrayBuffer(data.length);
  new Uint8Array(buffer).set(data);
  const fused = header.forests.map((f) => {
    if (!isIndex(f.sum) || typeof f.input !== 'string' || typeof f.output !== 'string' || !TYPES.includes(f.type) || typeof f.isAllLeq !== 'boolean') {
      throw new Error('forest plan entry malformed');
    }
    const view = (name: ArrayName) => {
      const [offset, count] = f.arrays?.[name] ?? [];
      const Kind = ARRAYS[name];
      if (!isIndex(offset) || !isIndex(count) || offset % 8 !== 0 || offset + count * Kind.BYTES_PER_ELEMENT > buffer.byteLength) {
        throw new Error(`forest plan array ${name} out of bounds`);
      }
      return new Kind(buffer, offset, count);
    };
    const forest: FusedForest = {
      input: f.input,
      output: f.output,
      type: f.type,
      isAllLeq: f.isAllLeq,
      roots: view('roots') as Int32Array,
      feature: view('feature') as Int32Array,
      threshold: view('threshold') as Float64Array,
      mode: view('mode') as Uint8Array,
      isMissingTrue: view('isMissingTrue') as Uint8Array,
      trueNext: view('trueNext') as Int32Array,
      falseNext: view('falseNext') as Int32Array,
      values: view('values') as Float64Array,
    };
    checkForest(forest);
    return { sum: f.sum, forest };
  });
  return { fused, replaced: header.replaced };
}

/** Every node and root reference stays inside the arrays, so that a walk cannot read out of them. */
function checkForest(f: FusedForest): void {
  const nodes = f.feature.length;
  const isRef = (next: number) => (next >= 0 ? next < nodes : ~next < f.values.length);
  const sameLength = [f.threshold, f.mode, f.isMissingTrue, f.trueNext, f.falseNext].every((a) => a.length === nodes);
  if (!sameLength || !f.roots.every(isRef) || !f.trueNext.every(isRef) || !f.falseNext.every(isRef) || !f.feature.every((k) => k >= 0)) {
    throw new Error('forest plan refers outside its arrays');
  }
}
