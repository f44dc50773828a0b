/**
 * The fast path of reading an ONNX model: the protobuf wire format decoded straight into the plain objects
 * onnx-proto's decoder returns (the fields the engine reads, int64s as numbers), without loading protobufjs and
 * the generated schema. Measured in a fresh worker thread (docs/performance.md): importing onnx-proto took
 * 23-39 ms and its decode of the IsolationForest 34-49 ms, most of the compiled engine's load. onnx-proto stays the
 * reference (read-onnx.ts): a test decodes every fixture model and hand-made encodings with both and requires
 * the same graph, and any bytes this decoder refuses are read by onnx-proto instead.
 *
 * Field numbers are those of onnx.proto (as onnx-proto 8 has it; a few later fields are listed too); unknown
 * fields are skipped by wire type, as protobufjs skips them.
 */

import type onnxProto from 'onnx-proto';
import { D, F, L, Reader, readRepeated, V, type Schema } from './protobuf-reader.js';

type Model = onnxProto.onnx.IModelProto;
type Graph = onnxProto.onnx.IGraphProto;
type Node = onnxProto.onnx.INodeProto;
type Attribute = onnxProto.onnx.IAttributeProto;
type Tensor = onnxProto.onnx.ITensorProto;
type ValueInfo = onnxProto.onnx.IValueInfoProto;
type Dimension = onnxProto.onnx.TensorShapeProto.IDimension;

/**
 * Each message's fields in onnx.proto and the wire types they may come in (a bit per wire type): protobufjs reads
 * a known field by its schema type whatever its wire type, so a known field in another wire type is refused here
 * (and the bytes go to onnx-proto) rather than read differently. Repeated numbers may be packed or not.
 */
const MODEL: Schema = { 1: V, 2: L, 3: L, 4: L, 5: V, 6: L, 7: L, 8: L, 14: L, 20: L, 25: L };
const OPSET: Schema = { 1: L, 2: V };
const GRAPH: Schema = { 1: L, 2: L, 5: L, 10: L, 11: L, 12: L, 13: L, 14: L, 15: L };
const NODE: Schema = { 1: L, 2: L, 3: L, 4: L, 5: L, 6: L, 7: L, 8: L, 9: L };
const ATTRIBUTE: Schema = { 1: L, 2: F, 3: V, 4: L, 5: L, 6: L, 7: F | L, 8: V | L, 9: L, 10: L, 11: L, 13: L, 14: L, 15: L, 20: V, 21: L, 22: L, 23: L };
const TENSOR: Schema = { 1: V | L, 2: V, 3: L, 4: F | L, 5: V | L, 6: L, 7: V | L, 8: L, 9: L, 10: D | L, 11: V | L, 12: L, 13: L, 14: V };
const VALUE_INFO: Schema = { 1: L, 2: L, 3: L };
const TYPE: Schema = { 1: L, 4: L, 5: L, 6: L, 8: L, 9: L };
const TENSOR_TYPE: Schema = { 1: V, 2: L };
const SHAPE: Schema = { 1: L };
const DIMENSION: Schema = { 1: V, 2: L, 3: L };

const readFloat = (r: Reader): number => r.float();
const readDouble = (r: Reader): number => r.double();
const readInt64 = (r: Reader): number => r.int64();
const readInt32 = (r: Reader): number => r.int32();

function decodeTensor(r: Reader): Tensor {
  const tensor: Tensor = {};
  const dims: number[] = [];
  const floatData: number[] = [];
  const int32Data: number[] = [];
  const int64Data: number[] = [];
  const doubleData: number[] = [];
  const stringData: Uint8Array[] = [];
  while (r.pos < r.end) {
    const tag = r.tag(TENSOR);
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1:
        readRepeated(r, tag, dims, readInt64);
        break;
      case 2:
        tensor.dataType = r.int32();
        break;
      case 4:
        readRepeated(r, tag, floatData, readFloat);
        break;
      case 5:
        readRepeated(r, tag, int32Data, readInt32);
        break;
      case 6:
        stringData.push(r.bytesField());
        break;
      case 7:
        readRepeated(r, tag, int64Data, readInt64);
        break;
      case 8:
        tensor.name = r.string();
        break;
      case 9:
        tensor.rawData = r.bytesField();
        break;
      case 10:
        readRepeated(r, tag, doubleData, readDouble);
        break;
      default:
        r.skip(wireType);
    }
  }
  return { ...tensor, dims, floatData, int32Data, int64Data, doubleData, stringData };
}

function decodeAttribute(r: Reader): Attribute {
  const attribute: Attribute = {};
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: Uint8Array[] = [];
  while (r.pos < r.end) {
    const tag = r.tag(ATTRIBUTE);
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1:
        attribute.name = r.string();
        break;
      case 2:
        attribute.f = r.float();
        break;
      case 3:
        attribute.i = r.int64();
        break;
      case 4:
        attribute.s = r.bytesField();
        break;
      case 5:
        attribute.t = decodeTensor(r.sub());
        break;
      case 7:
        readRepeated(r, tag, floats, readFloat);
        break;
      case 8:
        readRepeated(r, tag, ints, readInt64);
        break;
      case 9:
        strings.push(r.bytesField());
        break;
      default:
        r.skip(wireType);
    }
  }
  return { ...attribute, floats, ints, strings };
}

/** A node reduced to its op type and domain: its inputs, outputs and attributes are skipped. */
function decodeNodeStub(r: Reader): Node {
  const node: Node = {};
  while (r.pos < r.end) {
    const tag = r.tag(NODE);
    if (tag >>> 3 === 4) node.opType = r.string();
    else if (tag >>> 3 === 7) node.domain = r.string();
    else r.skip(tag & 7);
  }
  return { ...node, input: [], output: [], attribute: [] };
}

function decodeNode(r: Reader): Node {
  const node: Node = {};
  const input: string[] = [];
  const output: string[] = [];
  const attribute: Attribute[] = [];
  while (r.pos < r.end) {
    const tag = r.tag(NODE);
    switch (tag >>> 3) {
      case 1:
        input.push(r.string());
        break;
      case 2:
        output.push(r.string());
        break;
      case 4:
        node.opType = r.string();
        break;
      case 5:
        attribute.push(decodeAttribute(r.sub()));
        break;
      case 7:
        node.domain = r.string();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return { ...node, input, output, attribute };
}

function decodeDimension(r: Reader): Dimension {
  const dimension: Dimension = {};
  while (r.pos < r.end) {
    const tag = r.tag(DIMENSION);
    // A oneof, but protobufjs's decoder keeps both fields when both come (and read-onnx.ts prefers the value).
    if (tag >>> 3 === 1) {
      dimension.dimValue = r.int64();
    } else if (tag >>> 3 === 2) {
      dimension.dimParam = r.string();
    } else {
      r.skip(tag & 7);
    }
  }
  return dimension;
}

/** Calls `read` on each `field` sub-message of the message at r (of `schema`), skipping its other fields. */
function decodeEach(r: Reader, schema: Schema, field: number, read: (r: Reader) => void): void {
  while (r.pos < r.end) {
    const tag = r.tag(schema);
    if (tag >>> 3 === field) read(r.sub());
    else r.skip(tag & 7);
  }
}

function decodeValueInfo(r: Reader): ValueInfo {
  const value: ValueInfo = {};
  while (r.pos < r.end) {
    const tag = r.tag(VALUE_INFO);
    if (tag >>> 3 === 1) {
      value.name = r.string();
    } else if (tag >>> 3 === 2) {
      // TypeProto.tensor_type (1): elem_type (1), shape (2) with its dims (1).
      const type = r.sub();
      decodeEach(type, TYPE, 1, (tensorType) => {
        const tensor: { elemType?: number; shape?: { dim: Dimension[] } } = {};
        while (tensorType.pos < tensorType.end) {
          const field = tensorType.tag(TENSOR_TYPE);
          if (field >>> 3 === 1) {
            tensor.elemType = tensorType.int32();
          } else if (field >>> 3 === 2) {
            const dim: Dimension[] = tensor.shape?.dim ?? [];
            decodeEach(tensorType.sub(), SHAPE, 1, (d) => dim.push(decodeDimension(d)));
            tensor.shape = { dim };
          } else {
            tensorType.skip(field & 7);
          }
        }
        value.type = { tensorType: tensor };
      });
    } else {
      r.skip(tag & 7);
    }
  }
  return value;
}

function decodeGraph(r: Reader, stubs: ReadonlySet<number> | undefined): Graph {
  const node: Node[] = [];
  const initializer: Tensor[] = [];
  const input: ValueInfo[] = [];
  const output: ValueInfo[] = [];
  while (r.pos < r.end) {
    const tag = r.tag(GRAPH);
    switch (tag >>> 3) {
      case 1:
        node.push(stubs?.has(node.length) === true ? decodeNodeStub(r.sub()) : decodeNode(r.sub()));
        break;
      case 5:
        initializer.push(decodeTensor(r.sub()));
        break;
      case 11:
        input.push(decodeValueInfo(r.sub()));
        break;
      case 12:
        output.push(decodeValueInfo(r.sub()));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return { node, initializer, input, output };
}

/**
 * Decodes a model's bytes; throws a RangeError on bytes that are not well-formed protobuf. The nodes at `stubs`
 * (indices into the graph's nodes) keep only their op type and domain.
 */
export function decodeModel(bytes: Uint8Array, stubs?: ReadonlySet<number>): Model {
  const r = new Reader(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, bytes.length);
  const model: Model = {};
  const opsetImport: onnxProto.onnx.IOperatorSetIdProto[] = [];
  while (r.pos < r.end) {
    const tag = r.tag(MODEL);
    switch (tag >>> 3) {
      case 7:
        model.graph = decodeGraph(r.sub(), stubs);
        break;
      case 8: {
        const opset: onnxProto.onnx.IOperatorSetIdProto = {};
        const o = r.sub();
        while (o.pos < o.end) {
          const field = o.tag(OPSET);
          if (field >>> 3 === 1) opset.domain = o.string();
          else if (field >>> 3 === 2) opset.version = o.int64();
          else o.skip(field & 7);
        }
        opsetImport.push(opset);
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  return { ...model, opsetImport };
}
