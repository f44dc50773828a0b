/**
 * A worker's answer to an infer task: one model run on the tensors a V2 client sent, outside the row pipeline.
 * A bad tensor (wrong name, type or shape) fails the task with onnxruntime's own message.
 */

import * as ort from 'onnxruntime-node';
import type { LoadedModel } from '../model/model-session.js';
import type { TensorType } from '../model/signature.js';
import type { InferTask, TensorMessage } from '../pool/messages.js';

const TYPES: readonly string[] = ['float32', 'float64', 'int64', 'int32'] satisfies TensorType[];

export async function inferTensors(task: InferTask, models: readonly LoadedModel[]): Promise<TensorMessage[]> {
  const model = models.find((m) => m.signature.name === task.model);
  if (model === undefined) throw new Error(`no model '${task.model}'`);
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of task.inputs) feeds[input.name] = new ort.Tensor(input.type, input.data, input.shape);
  const names = task.outputs.length > 0 ? task.outputs : model.signature.outputs.map((o) => o.name);
  const results = await model.session.run(feeds, names);
  return names.map((name) => {
    const tensor = results[name] as ort.Tensor | undefined;
    if (tensor === undefined) throw new Error(`model '${task.model}' gave no output '${name}'`);
    if (!TYPES.includes(tensor.type)) throw new Error(`output '${name}' has type ${tensor.type}, which the server cannot send`);
    return { name, type: tensor.type as TensorType, shape: tensor.dims.map(Number), data: tensor.data as TensorMessage['data'] };
  });
}
