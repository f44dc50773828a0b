/**
 * The Open Inference Protocol's (KServe V2) request and response bodies: JSON tensors, or the binary tensor
 * data extension (a JSON header of `Inference-Header-Content-Length` bytes, then each binary tensor's bytes in
 * order). Every malformed part is a 400 naming the tensor.
 */

import type { TensorType } from '../model/signature.js';
import { tensorArrayFromBytes, tensorArrayFromNumbers, tensorElementBytes } from '../model/tensor-arrays.js';
import type { TensorMessage } from '../pool/messages.js';
import { HttpError } from './http-error.js';

export const BINARY_HEADER = 'Inference-Header-Content-Length';
export const TO_V2: Record<TensorType, string> = { float32: 'FP32', float64: 'FP64', int64: 'INT64', int32: 'INT32' };
const FROM_V2: Record<string, TensorType> = { FP32: 'float32', FP64: 'float64', INT64: 'int64', INT32: 'int32' };

interface TensorJson {
  name?: unknown;
  datatype?: unknown;
  shape?: unknown;
  data?: unknown;
  parameters?: { binary_data_size?: unknown; binary_data?: unknown };
}

export interface InferRequest {
  id: string | undefined;
  inputs: TensorMessage[];
  outputs: string[];
  /** Outputs asked for as binary data (by name), or every output when the request's parameters say so. */
  binaryOutputs: Set<string> | 'all';
}

function bad(message: string): never {
  throw new HttpError(400, 'BAD_REQUEST', message);
}

function parseHeader(text: string): { id?: unknown; inputs?: unknown; outputs?: unknown; parameters?: { binary_data_output?: unknown } } {
  try {
    const json: unknown = JSON.parse(text);
    if (json !== null && typeof json === 'object' && !Array.isArray(json)) return json;
  } catch {
    // Reported below.
  }
  bad('the inference request is not a JSON object');
}

/** Reads a whole infer body: its JSON, then the binary tensors after it when `headerLength` is given. */
export function readInferRequest(body: Buffer, headerLength: string | undefined): InferRequest {
  const jsonLength = headerLength === undefined ? body.length : Number(headerLength);
  if (!Number.isSafeInteger(jsonLength) || jsonLength < 0 || jsonLength > body.length) bad(`${BINARY_HEADER} ${headerLength ?? ''} does not fit the body of ${body.length} bytes`);
  const header = parseHeader(body.toString('utf8', 0, jsonLength));
  if (!Array.isArray(header.inputs) || header.inputs.length === 0) bad("the inference request has no 'inputs' list");
  let offset = jsonLength;
  const inputs = (header.inputs as TensorJson[]).map((tensor): TensorMessage => {
    const name = typeof tensor.name === 'string' ? tensor.name : bad("an input has no 'name'");
    const type = FROM_V2[String(tensor.datatype)] ?? bad(`input '${name}': datatype ${String(tensor.datatype)} is not one of ${Object.keys(FROM_V2).join(', ')}`);
    const shape = Array.isArray(tensor.shape) && tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0) ? (tensor.shape as number[]) : bad(`input '${name}': 'shape' must be a list of whole numbers`);
    const count = shape.reduce((a, b) => a * b, 1);
    const size = tensor.parameters?.binary_data_size;
    let data: TensorMessage['data'];
    if (size !== undefined) {
      if (typeof size !== 'number' || size !== count * tensorElementBytes(type) || offset + size > body.length) bad(`input '${name}': binary_data_size ${String(size)} does not match shape ${JSON.stringify(shape)} or the body`);
      data = tensorArrayFromBytes(type, body.subarray(offset, offset + size));
      offset += size;
    } else {
      const values = Array.isArray(tensor.data) ? (tensor.data.flat(Infinity) as unknown[]) : bad(`input '${name}': no 'data' and no binary_data_size`);
      if (values.length !== count || !values.every((v) => typeof v === 'number')) bad(`input '${name}': 'data' must hold ${count} numbers for shape ${JSON.stringify(shape)}`);
      data = tensorArrayFromNumbers(type, values as number[]);
    }
    return { name, type, shape, data };
  });
  const asked = Array.isArray(header.outputs) ? (header.outputs as TensorJson[]) : [];
  const outputs = asked.map((o) => (typeof o.name === 'string' ? o.name : bad("an output has no 'name'")));
  const binaryOutputs = header.parameters?.binary_data_output === true ? 'all' : new Set(asked.filter((o) => o.parameters?.binary_data === true).map((o) => o.name as string));
  return { id: typeof header.id === 'string' ? header.id : undefined, inputs, outputs, binaryOutputs };
}

/** The infer response: JSON data, or a JSON header followed by the binary outputs. */
export function formatInferResponse(model: string, request: InferRequest, outputs: TensorMessage[]): { body: Buffer; headerLength: number | undefined } {
  const parts: Buffer[] = [];
  const isBinary = (name: string): boolean => request.binaryOutputs === 'all' || request.binaryOutputs.has(name);
  const tensors = outputs.map((tensor) => {
    const common = { name: tensor.name, datatype: TO_V2[tensor.type], shape: tensor.shape };
    if (isBinary(tensor.name)) {
      const bytes = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
      parts.push(bytes);
      return { ...common, parameters: { binary_data_size: bytes.length } };
    }
    return { ...common, data: Array.from(tensor.data as ArrayLike<number | bigint>, Number) };
  });
  const json = Buffer.from(JSON.stringify({ model_name: model, ...(request.id === undefined ? {} : { id: request.id }), outputs: tensors }));
  return parts.length === 0 ? { body: json, headerLength: undefined } : { body: Buffer.concat([json, ...parts]), headerLength: json.length };
}
