/**
 * The manifest: which ONNX models to run, which input columns feed each model input and in what order,
 * which outputs to write under which names, and which columns pass through. Loaded and validated once; every
 * problem is named with the manifest's path and the JSON location of the bad value.
 */

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BatchInferError, readFailedError } from '../errors.js';
import { TENSOR_TYPES, type TensorType } from './signature.js';

export interface ManifestInput {
  name: string;
  type: TensorType;
  /** Undefined only on the --model quick path: filled from the header when the input is read. */
  columns: string[] | undefined;
  fill: number | undefined;
}

export interface ManifestOutput {
  name: string;
  /** Undefined only on the --model quick path: named after the output when its shape is known. */
  columns: string[] | undefined;
  /** The type written (`"type"`): a local model's output must have it; a server's answer is converted to it. */
  type: TensorType | undefined;
}

/** How a V2 server (--endpoint) names a model and its tensors, where it differs from the manifest (`"remote"`). */
export interface ManifestRemote {
  /** The server's name for the model; undefined: the model's name. */
  name: string | undefined;
  /** Manifest input name to the server's input name. */
  inputs: Record<string, string>;
  /** Manifest output name to the server's output name and the datatype it answers with (checked at start). */
  outputs: Record<string, { name: string; datatype: string | undefined }>;
}

/** The Open Inference Protocol's tensor datatypes. */
export const V2_DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'] as const;

export interface ManifestThreshold {
  column: string;
  above: number;
  flag: string;
}

export interface ManifestModel {
  name: string;
  /** Absolute path, resolved relative to the manifest. */
  path: string;
  inputs: ManifestInput[];
  /** Undefined only on the --model quick path: every output of the model. */
  outputs: ManifestOutput[] | undefined;
  thresholds: ManifestThreshold[];
  /**
   * `"nonFinite": "keep"`: write NaN and infinite outputs as they are (CSV NaN/Infinity, NDJSON null). By default a
   * row with such an output is a reject naming the model and column: a NaN compared with a threshold reads as
   * "not anomalous".
   */
  keepsNonFinite: boolean;
  remote: ManifestRemote | undefined;
  /** "engine": overrides --engine for this model (see choose-engine.ts); after resolveEngines, the one decided. */
  engine?: 'auto' | 'onnxruntime' | 'compiled';
  /** Set by resolveEngines: the SHA-256 of the model bytes whose subnormal weights were proved safe to flush. */
  flushedFor?: string;
}

/** Settings a manifest may carry for `run` (for example what `bench --recommend` found). */
export interface ManifestRunSettings {
  chunkSize: number | undefined;
  workers: number | undefined;
}

export interface Manifest {
  /** Where it came from, for messages: the manifest file or the --model file. */
  source: string;
  /** Undefined on the quick path: every column that feeds no model passes through. */
  passthrough: string[] | undefined;
  models: ManifestModel[];
  run: ManifestRunSettings;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

class ManifestReader {
  constructor(readonly file: string) {}

  fail(where: string, message: string): never {
    throw new BatchInferError('MANIFEST_INVALID', `manifest ${this.file}: ${where}: ${message}`);
  }

  object(value: Json | undefined, where: string): { [key: string]: Json } {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(where, 'must be an object');
    return value;
  }

  array(value: Json | undefined, where: string): Json[] {
    if (!Array.isArray(value)) this.fail(where, 'must be an array');
    return value;
  }

  string(value: Json | undefined, where: string): string {
    if (typeof value !== 'string' || value.length === 0) this.fail(where, 'must be a non-empty string');
    return value;
  }

  number(value: Json | undefined, where: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(where, 'must be a finite number');
    return value;
  }

  /** A fill the input's tensor holds as it is: otherwise it would be the infinity or wrapped integer it replaces. */
  fill(value: Json | undefined, where: string, type: TensorType): number {
    const fill = this.number(value, where);
    if (type === 'float32' && !Number.isFinite(Math.fround(fill))) this.fail(where, `${fill} is out of float32 range`);
    if (type === 'int64' && !Number.isSafeInteger(fill)) this.fail(where, `must be an integer of at most 2^53 in magnitude for an int64 input, got ${fill}`);
    if (type === 'int32' && (!Number.isInteger(fill) || fill < -2147483648 || fill > 2147483647)) this.fail(where, `must be an int32 integer, got ${fill}`);
    return fill;
  }

  strings(value: Json | undefined, where: string): string[] {
    const items = this.array(value, where).map((item, i) => this.string(item, `${where}[${i}]`));
    const seen = new Set<string>();
    for (const [i, item] of items.entries()) {
      if (seen.has(item)) this.fail(`${where}[${i}]`, `'${item}' is listed twice`);
      seen.add(item);
    }
    return items;
  }

  positiveInteger(value: Json | undefined, where: string): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      this.fail(where, 'must be a positive integer');
    }
    return value;
  }

  /** One of `allowed`, named in the message when it is not. */
  oneOf<T extends string>(value: Json | undefined, where: string, allowed: readonly T[]): T {
    const text = this.string(value, where);
    if (!allowed.includes(text as T)) this.fail(where, `'${text}' is not supported (expected one of ${allowed.join(', ')})`);
    return text as T;
  }

  onlyKeys(value: { [key: string]: Json }, where: string, keys: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) this.fail(where, `unknown key '${key}' (expected one of ${keys.join(', ')})`);
    }
  }
}

/** Reads and validates a manifest file. Model paths are resolved relative to the manifest. */
export function loadManifest(file: string): Manifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    // A manifest that is not there is a missing input (66); one that is there but wrong is MANIFEST_INVALID (78).
    throw readFailedError(`--manifest ${file}`, error);
  }
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch (error) {
    throw new BatchInferError('MANIFEST_INVALID', `manifest ${file}: not valid JSON: ${(error as Error).message}`);
  }
  return parseManifest(json, file);
}

export function parseManifest(json: Json, file: string): Manifest {
  const read = new ManifestReader(file);
  const root = read.object(json, '$');
  read.onlyKeys(root, '$', ['version', 'passthrough', 'models', 'run']);
  if (root.version !== undefined && root.version !== 1) read.fail('$.version', 'must be 1');
  const base = dirname(resolve(file));
  const passthrough = root.passthrough === undefined ? [] : read.strings(root.passthrough, '$.passthrough');
  const modelsJson = read.array(root.models, '$.models');
  if (modelsJson.length === 0) read.fail('$.models', 'must list at least one model');

  const models = modelsJson.map((modelJson, m): ManifestModel => {
    const where = `$.models[${m}]`;
    const model = read.object(modelJson, where);
    read.onlyKeys(model, where, ['name', 'path', 'inputs', 'outputs', 'threshold', 'thresholds', 'nonFinite', 'remote', 'engine']);
    const path = resolve(base, read.string(model.path, `${where}.path`));
    const name = model.name === undefined ? `model${m}` : read.string(model.name, `${where}.name`);
    const inputsJson = read.array(model.inputs, `${where}.inputs`);
    if (inputsJson.length === 0) read.fail(`${where}.inputs`, 'must list at least one input');
    const inputs = inputsJson.map((inputJson, i): ManifestInput => {
      const at = `${where}.inputs[${i}]`;
      const input = read.object(inputJson, at);
      read.onlyKeys(input, at, ['name', 'type', 'columns', 'fill']);
      const type = input.type === undefined ? 'float32' : read.oneOf(input.type, `${at}.type`, TENSOR_TYPES);
      const columns = read.strings(input.columns, `${at}.columns`);
      if (columns.length === 0) read.fail(`${at}.columns`, 'must name at least one column');
      return {
        name: read.string(input.name, `${at}.name`),
        type: type as TensorType,
        columns,
        fill: input.fill === undefined ? undefined : read.fill(input.fill, `${at}.fill`, type as TensorType),
      };
    });
    const outputsJson = read.array(model.outputs, `${where}.outputs`);
    if (outputsJson.length === 0) read.fail(`${where}.outputs`, 'must list at least one output');
    const outputs = outputsJson.map((outputJson, o): ManifestOutput => {
      const at = `${where}.outputs[${o}]`;
      const output = read.object(outputJson, at);
      read.onlyKeys(output, at, ['name', 'columns', 'type']);
      const columns = read.strings(output.columns, `${at}.columns`);
      if (columns.length === 0) read.fail(`${at}.columns`, 'must name at least one column');
      const type = output.type === undefined ? undefined : read.oneOf(output.type, `${at}.type`, TENSOR_TYPES);
      return { name: read.string(output.name, `${at}.name`), columns, type };
    });
    const thresholdJson = model.thresholds ?? (model.threshold === undefined ? [] : [model.threshold]);
    const thresholdKey = model.thresholds === undefined ? `${where}.threshold` : `${where}.thresholds`;
    const thresholds = read.array(thresholdJson, thresholdKey).map((tJson, t): ManifestThreshold => {
      const at = model.thresholds === undefined ? thresholdKey : `${thresholdKey}[${t}]`;
      const threshold = read.object(tJson, at);
      read.onlyKeys(threshold, at, ['column', 'above', 'flag']);
      const column = read.string(threshold.column, `${at}.column`);
      if (!outputs.some((output) => output.columns?.includes(column) === true)) {
        read.fail(`${at}.column`, `'${column}' is not one of this model's output columns`);
      }
      return { column, above: read.number(threshold.above, `${at}.above`), flag: read.string(threshold.flag, `${at}.flag`) };
    });
    const nonFinite = model.nonFinite === undefined ? 'reject' : read.string(model.nonFinite, `${where}.nonFinite`);
    if (nonFinite !== 'reject' && nonFinite !== 'keep') read.fail(`${where}.nonFinite`, `must be 'reject' or 'keep', got '${nonFinite}'`);
    const remote = model.remote === undefined ? undefined : parseRemote(read, model.remote, `${where}.remote`, inputs, outputs);
    const engine = model.engine === undefined ? undefined : read.string(model.engine, `${where}.engine`);
    if (engine !== undefined && engine !== 'auto' && engine !== 'onnxruntime' && engine !== 'compiled') {
      read.fail(`${where}.engine`, `must be 'auto', 'onnxruntime' or 'compiled', got '${engine}'`);
    }
    return { name, path, inputs, outputs, thresholds, keepsNonFinite: nonFinite === 'keep', remote, ...(engine === undefined ? {} : { engine: engine as ManifestModel['engine'] }) };
  });

  const names = new Set<string>();
  for (const [m, model] of models.entries()) {
    if (names.has(model.name)) read.fail(`$.models[${m}].name`, `'${model.name}' names two models`);
    names.add(model.name);
  }
  const outputColumns = [...passthrough];
  for (const model of models) {
    for (const output of model.outputs ?? []) outputColumns.push(...(output.columns ?? []));
    outputColumns.push(...model.thresholds.map((t) => t.flag));
  }
  const seen = new Set<string>();
  for (const column of outputColumns) {
    if (seen.has(column)) read.fail('$', `output column '${column}' is written twice (pass-through, outputs and flags must be unique)`);
    seen.add(column);
  }

  let run: ManifestRunSettings = { chunkSize: undefined, workers: undefined };
  if (root.run !== undefined) {
    const runJson = read.object(root.run, '$.run');
    read.onlyKeys(runJson, '$.run', ['chunkSize', 'workers']);
    run = {
      chunkSize: read.positiveInteger(runJson.chunkSize, '$.run.chunkSize'),
      workers: read.positiveInteger(runJson.workers, '$.run.workers'),
    };
  }
  return { source: file, passthrough, models, run };
}

/** A model's `"remote"` mapping: every key names one of the model's inputs or outputs. */
function parseRemote(read: ManifestReader, json: Json, where: string, inputs: readonly ManifestInput[], outputs: readonly ManifestOutput[]): ManifestRemote {
  const remote = read.object(json, where);
  read.onlyKeys(remote, where, ['name', 'inputs', 'outputs']);
  const mapped = (key: 'inputs' | 'outputs', names: readonly string[]): [string, Json][] => {
    if (remote[key] === undefined) return [];
    const entries = Object.entries(read.object(remote[key], `${where}.${key}`));
    for (const [name] of entries) {
      if (!names.includes(name)) read.fail(`${where}.${key}.${name}`, `'${name}' is not one of this model's ${key} (${names.join(', ')})`);
    }
    return entries;
  };
  const inputNames = Object.fromEntries(mapped('inputs', inputs.map((i) => i.name)).map(([name, value]) => [name, read.string(value, `${where}.inputs.${name}`)]));
  const outputMap = mapped('outputs', outputs.map((o) => o.name)).map(([name, value]): [string, ManifestRemote['outputs'][string]] => {
    const at = `${where}.outputs.${name}`;
    if (typeof value === 'string') return [name, { name: read.string(value, at), datatype: undefined }];
    const output = read.object(value, at);
    read.onlyKeys(output, at, ['name', 'datatype']);
    return [name, { name: output.name === undefined ? name : read.string(output.name, `${at}.name`), datatype: output.datatype === undefined ? undefined : read.oneOf(output.datatype, `${at}.datatype`, V2_DATATYPES) }];
  });
  return { name: remote.name === undefined ? undefined : read.string(remote.name, `${where}.name`), inputs: inputNames, outputs: Object.fromEntries(outputMap) };
}

/**
 * The --model quick path: one model with a single 2-D float input. Features come from --features, or else are
 * the last K columns of the input (K = the model input's last dimension); every output is written.
 */
export function manifestForModel(modelFile: string, features: string[] | undefined, passthrough: string[] | undefined): Manifest {
  const name = modelFile.replace(/^.*[\\/]/, '').replace(/\.onnx$/i, '') || 'model';
  return {
    source: modelFile,
    passthrough,
    models: [
      {
        name,
        path: resolve(modelFile),
        inputs: [{ name: '', type: 'float32', columns: features, fill: undefined }],
        outputs: undefined,
        thresholds: [],
        keepsNonFinite: false,
        remote: undefined,
      },
    ],
    run: { chunkSize: undefined, workers: undefined },
  };
}
