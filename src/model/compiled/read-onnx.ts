/**
 * Reads an ONNX model into the plain values the compiler works on: nodes with their attributes, and initializers
 * as typed arrays. The bytes are decoded by decode-onnx.ts (the fast path); the onnx-proto package (protobufjs
 * code generated from ONNX's own schema) is the reference, loaded only for bytes the fast path refuses (and by
 * the test that holds both to the same graphs).
 */

import { createRequire } from 'node:module';
import type onnxProto from 'onnx-proto';
import { decodeModel } from './decode-onnx.js';
import type { ElementType, Value } from './values.js';

type Long = { toNumber(): number };
type IntLike = number | Long | null | undefined;

export interface OnnxAttribute {
  f: number;
  i: number;
  s: string;
  floats: number[];
  ints: number[];
  strings: string[];
  t: Value | undefined;
}

export interface OnnxNode {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

/** A graph input or output as onnxruntime describes it: an unnamed symbolic dimension is ''. */
export interface GraphValue {
  name: string;
  type: ElementType | undefined;
  shape: (number | string)[];
}

export interface OnnxGraph {
  opsets: Map<string, number>;
  inputs: GraphValue[];
  outputs: GraphValue[];
  nodes: OnnxNode[];
  initializers: Map<string, Value>;
}

/** ONNX TensorProto.DataType numbers of the element types the engine computes with. */
const ELEMENT_TYPES: Record<number, ElementType> = { 1: 'float32', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 11: 'float64' };

const decoder = new TextDecoder();

export function toNumber(value: IntLike): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}


/** A TensorProto as a Value; undefined for an element type the engine does not compute with. */
export function readTensor(tensor: onnxProto.onnx.ITensorProto): Value | undefined {
  const type = ELEMENT_TYPES[tensor.dataType ?? 0];
  if (type === undefined) return undefined;
  const dims = (tensor.dims ?? []).map(toNumber);
  const size = dims.reduce((a, b) => a * b, 1);
  const raw = tensor.rawData !== null && tensor.rawData !== undefined && tensor.rawData.length > 0 ? tensor.rawData : undefined;
  if (type === 'string') return { type, dims, data: (tensor.stringData ?? []).map((s) => decoder.decode(s)) };
  if (raw !== undefined) return { type, dims, data: fromRaw(type, raw, size) };
  const listed: IntLike[] =
    type === 'float32' ? (tensor.floatData ?? []) : type === 'float64' ? (tensor.doubleData ?? []) : type === 'int64' ? (tensor.int64Data ?? []) : (tensor.int32Data ?? []);
  const data = type === 'float32' ? new Float32Array(size) : type === 'bool' ? new Uint8Array(size) : new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = toNumber(listed[i]);
  return { type, dims, data };
}

function fromRaw(type: Exclude<ElementType, 'string'>, raw: Uint8Array, size: number): Value['data'] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (type === 'bool') return Uint8Array.from(raw.subarray(0, size));
  const out = type === 'float32' ? new Float32Array(size) : new Float64Array(size);
  for (let i = 0; i < size; i++) {
    out[i] =
      type === 'float32' ? view.getFloat32(i * 4, true) : type === 'float64' ? view.getFloat64(i * 8, true) : type === 'int32' ? view.getInt32(i * 4, true) : Number(view.getBigInt64(i * 8, true));
  }
  return out;
}

function readAttribute(attribute: onnxProto.onnx.IAttributeProto): OnnxAttribute {
  return {
    f: attribute.f ?? 0,
    i: toNumber(attribute.i),
    s: attribute.s ? decoder.decode(attribute.s) : '',
    floats: attribute.floats ?? [],
    ints: (attribute.ints ?? []).map(toNumber),
    strings: (attribute.strings ?? []).map((s) => decoder.decode(s)),
    t: attribute.t ? readTensor(attribute.t) : undefined,
  };
}

function describeValue(value: onnxProto.onnx.IValueInfoProto): GraphValue {
  const tensor = value.type?.tensorType;
  const dims = tensor?.shape?.dim ?? [];
  return {
    name: value.name ?? '',
    type: ELEMENT_TYPES[tensor?.elemType ?? 0],
    shape: dims.map((d) => (d.dimValue !== null && d.dimValue !== undefined && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : (d.dimParam ?? ''))),
  };
}

let referenceDecoder: ((bytes: Uint8Array) => onnxProto.onnx.IModelProto) | undefined;

/** onnx-proto's decoder, loaded on first use (importing it costs a thread about 30 ms). */
function decodeWithOnnxProto(bytes: Uint8Array): onnxProto.onnx.IModelProto {
  if (referenceDecoder === undefined) {
    const require = createRequire(import.meta.url);
    const protobuf = require('protobufjs/minimal.js') as typeof import('protobufjs/minimal.js');
    // int64 fields as plain numbers instead of one Long object each: a forest's node arrays are tens of thousands
    // of int64s, and their objects cost the first load about half its time in garbage collection (measured).
    protobuf.util.Long = undefined as never;
    protobuf.configure();
    const { onnx } = require('onnx-proto') as typeof onnxProto;
    referenceDecoder = (b) => onnx.ModelProto.decode(b);
  }
  return referenceDecoder(bytes);
}

function toGraph(model: onnxProto.onnx.IModelProto): OnnxGraph {
  const graph = model.graph ?? {};
  const initializers = new Map<string, Value>();
  for (const tensor of graph.initializer ?? []) {
    const value = readTensor(tensor);
    if (value !== undefined) initializers.set(tensor.name ?? '', value);
  }
  const nodes = (graph.node ?? []).map((node) => ({
    opType: node.opType ?? '',
    domain: node.domain ?? '',
    inputs: node.input ?? [],
    outputs: node.output ?? [],
    attributes: new Map((node.attribute ?? []).map((a) => [a.name ?? '', readAttribute(a)])),
  }));
  return {
    opsets: new Map((model.opsetImport ?? []).map((o) => [o.domain ?? '', toNumber(o.version)])),
    inputs: (graph.input ?? []).filter((input) => !initializers.has(input.name ?? '')).map(describeValue),
    outputs: (graph.output ?? []).map(describeValue),
    nodes,
    initializers,
  };
}

/** The reference: the model decoded by onnx-proto. Throws the decoder's error on bytes that are not protobuf. */
export function readOnnxReference(bytes: Uint8Array): OnnxGraph {
  return toGraph(decodeWithOnnxProto(bytes));
}

/** The fast path alone (decode-onnx.ts): throws on bytes it refuses. The nodes at `stubs` keep only their op type and domain. */
export function readOnnxFast(bytes: Uint8Array, stubs?: ReadonlySet<number>): OnnxGraph {
  return toGraph(decodeModel(bytes, stubs));
}

/**
 * Decodes a model's bytes (the fast path, else onnx-proto); throws onnx-proto's error on bytes that are not an ONNX
 * model. The nodes at `stubs` (indices) keep only their op type and domain (see forest-plan.ts) on the fast path.
 */
export function readOnnx(bytes: Uint8Array, stubs?: ReadonlySet<number>): OnnxGraph {
  let model: onnxProto.onnx.IModelProto;
  try {
    model = decodeModel(bytes, stubs);
  } catch {
    return readOnnxReference(bytes);
  }
  return toGraph(model);
}
