/**
 * Binds a manifest to what is really there: the models' input and output signatures (as the workers loaded
 * them) and the input's header. Every mismatch is reported before any row is scored.
 */

import { BatchInferError } from '../errors.js';
import type { Manifest, ManifestModel } from './manifest.js';
import { type BoundInput, type BoundModel, type BoundOutput, type CsvParser, type InputFormat, type OutputFormat, type ScoringPlan } from './scoring-plan.js';
import { formatShape, type ModelSignature, type ValueSignature, fixedBatchDimension } from './signature.js';

function mismatch(model: ManifestModel, message: string): never {
  throw new BatchInferError('MANIFEST_MISMATCH', `model ${model.path}: ${message}`);
}

function describeSignature(values: ValueSignature[]): string {
  return values.map((v) => `${v.name} ${v.type}${formatShape(v.shape)}`).join(', ');
}

/** The fixed width of a [N] or [N, K] tensor's last dimension, or undefined where it is symbolic. */
function featureWidth(value: ValueSignature): number | 'unknown' | 'bad-rank' {
  if (value.shape.length === 1) return 1;
  if (value.shape.length !== 2) return 'bad-rank';
  const last = value.shape[1];
  return typeof last === 'number' && last > 0 ? last : 'unknown';
}

/**
 * The model's fixed batch size, or undefined when every input takes any number of rows. Inputs fixed to
 * different sizes cannot be fed from the same rows, and an output whose first dimension is fixed to anything
 * but the batch does not have one value per row: both are reported here, before any row is read.
 */
function checkBatchSize(model: ManifestModel, inputs: readonly ValueSignature[], outputs: readonly ValueSignature[]): number | undefined {
  let batchSize: number | undefined;
  let fixedBy = '';
  for (const input of inputs) {
    const size = fixedBatchDimension(input);
    if (size === undefined) continue;
    if (batchSize !== undefined && size !== batchSize) {
      mismatch(model, `input '${input.name}' has a fixed batch of ${size} rows (${formatShape(input.shape)}), input '${fixedBy}' one of ${batchSize}; both are fed the same rows`);
    }
    batchSize = size;
    fixedBy = input.name;
  }
  for (const output of outputs) {
    const size = fixedBatchDimension(output);
    if (size === undefined || size === batchSize) continue;
    const batch = batchSize === undefined ? 'any number of rows' : `a fixed batch of ${batchSize} rows`;
    mismatch(model, `output '${output.name}' has shape ${formatShape(output.shape)}: its first dimension is not the batch (the inputs take ${batch}), so it has no value per row`);
  }
  return batchSize;
}

interface CheckedModel {
  batchSize: number | undefined;
  inputs: { name: string; type: BoundInput['type']; columns: string[] | undefined; fill: number | undefined; width: number | 'unknown' }[];
  outputs: BoundOutput[];
}

/** Checks one manifest model against the signature its session reported. */
export function checkModelSignature(model: ManifestModel, signature: ModelSignature): CheckedModel {
  const isQuickPath = model.outputs === undefined;
  const wanted = isQuickPath
    ? (() => {
        const only = signature.inputs[0];
        if (signature.inputs.length !== 1 || only === undefined) {
          mismatch(model, `--model needs a model with exactly one input, this one has ${signature.inputs.length} (${describeSignature(signature.inputs)}); write a manifest`);
        }
        return [{ ...model.inputs[0]!, name: only.name }];
      })()
    : model.inputs;

  const inputs = wanted.map((input) => {
    const actual = signature.inputs.find((v) => v.name === input.name);
    if (actual === undefined) {
      mismatch(model, `input '${input.name}' is not an input of the model (it has ${describeSignature(signature.inputs)})`);
    }
    if (actual.type !== input.type) {
      mismatch(
        model,
        isQuickPath
          ? `input '${input.name}' is ${actual.type}; --model takes a model with one ${input.type} input (write a manifest with "type": "${actual.type}")`
          : `input '${input.name}' is ${actual.type} in the model, the manifest says ${input.type}`,
      );
    }
    const width = featureWidth(actual);
    if (width === 'bad-rank') {
      mismatch(model, `input '${input.name}' has shape ${formatShape(actual.shape)}; only [N] and [N, K] inputs can be fed from columns`);
    }
    if (input.columns !== undefined && width !== 'unknown' && input.columns.length !== width) {
      mismatch(model, `input '${input.name}' takes ${width} features, the manifest lists ${input.columns.length} columns`);
    }
    return { ...input, width };
  });
  for (const actual of signature.inputs) {
    if (!inputs.some((input) => input.name === actual.name)) {
      mismatch(model, `model input '${actual.name}' is not fed by the manifest`);
    }
  }

  const outputs: BoundOutput[] = [];
  if (model.outputs === undefined) {
    for (const actual of signature.outputs) {
      if (actual.type === 'non-tensor') continue;
      const width = featureWidth(actual);
      if (width === 'bad-rank' || width === 'unknown') {
        mismatch(model, `output '${actual.name}' has shape ${formatShape(actual.shape)}; write a manifest naming its columns`);
      }
      outputs.push({ name: actual.name, columns: width === 1 ? [actual.name] : Array.from({ length: width }, (_, i) => `${actual.name}_${i}`) });
    }
    if (outputs.length === 0) mismatch(model, 'the model has no tensor outputs');
  } else {
    for (const output of model.outputs) {
      const actual = signature.outputs.find((v) => v.name === output.name);
      if (actual === undefined) {
        mismatch(model, `output '${output.name}' is not an output of the model (it has ${describeSignature(signature.outputs)})`);
      }
      if (actual.type === 'non-tensor') {
        mismatch(model, `output '${output.name}' is not a tensor (a map or sequence: export classifiers with zipmap off)`);
      }
      if (output.type !== undefined && actual.type !== output.type) {
        mismatch(model, `output '${output.name}' is ${actual.type} in the model, the manifest says ${output.type}`);
      }
      const width = featureWidth(actual);
      const columns = output.columns ?? [output.name];
      if (width === 'bad-rank') mismatch(model, `output '${output.name}' has shape ${formatShape(actual.shape)}; only [N] and [N, K] outputs can be written as columns`);
      if (width !== 'unknown' && columns.length !== width) {
        mismatch(model, `output '${output.name}' has ${width} values per row, the manifest names ${columns.length} columns`);
      }
      outputs.push({ name: output.name, columns });
    }
  }
  const used = (values: readonly ValueSignature[], names: readonly string[]): ValueSignature[] => values.filter((v) => names.includes(v.name));
  const batchSize = checkBatchSize(model, signature.inputs, used(signature.outputs, outputs.map((o) => o.name)));
  return { batchSize, inputs, outputs };
}

export interface BindOptions {
  inputFormat: InputFormat;
  outputFormat: OutputFormat;
  parser: CsvParser;
  batchRows: number;
  /** CSV header names, in order; undefined for NDJSON. */
  header: string[] | undefined;
  /** The line the header is on, for messages: 1 unless blank lines come before it. */
  headerLine?: number;
  /** Names the input in messages. */
  inputName: string;
}

/** Turns a manifest, the models' signatures and the input's header into the plan every worker follows. */
export function bindPlan(manifest: Manifest, signatures: ModelSignature[], options: BindOptions): ScoringPlan {
  const header = options.header;
  const line = `line ${options.headerLine ?? 1}`;
  const indexOf = new Map<string, number>();
  if (header !== undefined) {
    for (const [i, name] of header.entries()) {
      const earlier = indexOf.get(name);
      if (earlier !== undefined) {
        throw new BatchInferError('INPUT_HEADER', `${options.inputName}: ${line}: column '${name}' appears twice in the header (columns ${earlier + 1} and ${i + 1})`);
      }
      indexOf.set(name, i);
    }
  }
  const fieldIndex = (column: string, usedBy: string): number => {
    if (header === undefined) return -1;
    const index = indexOf.get(column);
    if (index === undefined) {
      throw new BatchInferError('INPUT_HEADER', `${options.inputName}: ${line}: column '${column}' (${usedBy}) is not in the header`);
    }
    return index;
  };

  const featureColumns = new Set<string>();
  const models = manifest.models.map((model): BoundModel => {
    const signature = signatures.find((s) => s.path === model.path);
    if (signature === undefined) throw new BatchInferError('MODEL_LOAD', `model ${model.path}: no signature was reported`);
    const checked = checkModelSignature(model, signature);
    const inputs = checked.inputs.map((input): BoundInput => {
      let columns = input.columns;
      if (columns === undefined) {
        if (header === undefined || input.width === 'unknown') {
          throw new BatchInferError('USAGE', `--features is needed with --model here (${header === undefined ? 'NDJSON input has no header' : 'the model input has no fixed width'})`);
        }
        if (header.length < input.width) {
          throw new BatchInferError('INPUT_HEADER', `${options.inputName}: ${line}: the header has ${header.length} columns, the model takes ${input.width} features`);
        }
        columns = header.slice(header.length - input.width);
      }
      const usedBy = `input '${input.name}' of model ${model.name}`;
      for (const column of columns) featureColumns.add(column);
      return { name: input.name, type: input.type, columns, fieldIndexes: columns.map((c) => fieldIndex(c, usedBy)), fill: input.fill };
    });
    return { name: model.name, path: model.path, inputs, outputs: checked.outputs, thresholds: model.thresholds, batchSize: checked.batchSize, keepsNonFinite: model.keepsNonFinite };
  });

  const passthroughNames = manifest.passthrough ?? (header ?? []).filter((name) => !featureColumns.has(name));
  const passthrough = passthroughNames.map((name) => ({ name, fieldIndex: fieldIndex(name, 'pass-through') }));
  const outputColumns = [...passthroughNames];
  for (const model of models) {
    for (const output of model.outputs) outputColumns.push(...output.columns);
    outputColumns.push(...model.thresholds.map((t) => t.flag));
  }
  const seen = new Set<string>();
  for (const column of outputColumns) {
    if (seen.has(column)) {
      // Without a pass-through list every column that is not a feature is passed through, model outputs' names included.
      const hint = manifest.passthrough === undefined && passthroughNames.includes(column) ? ` (the input has a column '${column}' too, passed through by default: choose pass-through columns with --passthrough)` : '';
      throw new BatchInferError('MANIFEST_INVALID', `${manifest.source}: output column '${column}' is written twice${hint}`);
    }
    seen.add(column);
  }
  return {
    inputFormat: options.inputFormat,
    outputFormat: options.outputFormat,
    parser: options.parser,
    batchRows: options.batchRows,
    fieldCount: header?.length ?? 0,
    passthrough,
    models,
    outputColumns,
  };
}
