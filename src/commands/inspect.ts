import { decideEngine } from '../model/choose-engine.js';
import { loadModel, releaseModels } from '../model/model-session.js';
import { fixedBatchDimension, formatShape, type ValueSignature } from '../model/signature.js';

/** What the inputs' first dimensions say about rows per call; bindPlan checks the same when a manifest is used. */
function describeBatch(inputs: readonly ValueSignature[]): string {
  const sizes = [...new Set(inputs.map(fixedBatchDimension).filter((size) => size !== undefined))];
  if (sizes.length === 0) return 'batch size: any number of rows per call';
  if (sizes.length > 1) return `batch size: fixed, but to different sizes (${sizes.join(', ')}): batch-infer cannot feed this model`;
  return `batch size: fixed at ${sizes[0]} rows per call (batch-infer calls it with exactly ${sizes[0]} rows, padding the last call)`;
}

function describe(value: ValueSignature): string {
  return `  ${value.name}  ${value.type}  ${formatShape(value.shape)}`;
}

/** `batch-infer inspect model.onnx`: the model's inputs and outputs, and a starting manifest for it. */
export async function inspectCommand(modelPath: string): Promise<number> {
  const name = modelPath.replace(/^.*[\\/]/, '').replace(/\.onnx$/i, '') || 'model';
  const model = await loadModel({ name, path: modelPath });
  try {
    const { inputs, outputs } = model.signature;
    const engine = await decideEngine({ name, path: modelPath }, 'auto');
    const lines = [`model ${modelPath}`, 'inputs:', ...inputs.map(describe), 'outputs:', ...outputs.map(describe), describeBatch(inputs), `engine (--engine auto): ${engine.engine}: ${engine.reason}`];
    const width = (v: ValueSignature): number => {
      const last = v.shape[v.shape.length - 1];
      return v.shape.length === 2 && typeof last === 'number' && last > 0 ? last : 1;
    };
    const starter = {
      version: 1,
      passthrough: [],
      models: [
        {
          name,
          path: modelPath.replace(/^.*[\\/]/, ''),
          inputs: inputs.map((v) => ({
            name: v.name,
            type: v.type,
            columns: Array.from({ length: width(v) }, (_, i) => `${v.name}_${i}`),
          })),
          outputs: outputs
            .filter((v) => v.type !== 'non-tensor')
            .map((v) => ({ name: v.name, columns: width(v) === 1 ? [v.name] : Array.from({ length: width(v) }, (_, i) => `${v.name}_${i}`) })),
        },
      ],
    };
    process.stdout.write(`${lines.join('\n')}\n\nstarting manifest (rename the columns to your input's):\n${JSON.stringify(starter, null, 2)}\n`);
    return 0;
  } finally {
    await releaseModels([model]);
  }
}
