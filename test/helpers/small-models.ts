/** Small ONNX models built in the tests, for the subnormal-weight flush (subnormal-weights.ts, prove-flush.ts). */

import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const FLOAT = 1;
export const DOUBLE = 11;
/** The largest float32 subnormal's neighbourhood: below 2^-126 (1.1754944e-38). */
export const SUBNORMAL = 1e-40;

export function valueInfo(name: string, elemType: number, dims: (number | string)[]) {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

/** A float32 tensor with its values in raw_data (little-endian), as converters write initializers. */
export function rawFloatTensor(name: string, values: number[]) {
  return { name, dataType: FLOAT, dims: [values.length], rawData: new Uint8Array(Float32Array.from(values).buffer) };
}

/**
 * y = x * w for x of [N, 2]: w a float32 initializer. With a subnormal weight the product of an ordinary input
 * with it is subnormal too, so flushing that weight changes y: a model the flush's proof must refuse.
 */
export function multiplyModel(weights: [number, number]): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'multiply',
      node: [{ opType: 'Mul', input: ['x', 'w'], output: ['y'] }],
      initializer: [rawFloatTensor('w', weights)],
      input: [valueInfo('x', FLOAT, ['N', 2])],
      output: [valueInfo('y', FLOAT, ['N', 2])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
