/**
 * What a model is to the rest of the pipeline, before it is bound to an input: its tensor types, its inputs' and
 * outputs' signatures, and where a worker loads it from (a file, or a V2 inference server).
 */

export type TensorType = 'float32' | 'float64' | 'int64' | 'int32';

export const TENSOR_TYPES: readonly TensorType[] = ['float32', 'float64', 'int64', 'int32'];

export interface ValueSignature {
  name: string;
  type: string;
  shape: (number | string)[];
}

export interface ModelSignature {
  name: string;
  path: string;
  inputs: ValueSignature[];
  outputs: ValueSignature[];
}

/** A model served by a V2 inference server (--endpoint) instead of loaded in the worker. */
export interface RemoteModelSetup {
  endpoint: string;
  modelName: string;
  /** The environment variable holding the bearer token; the token itself never travels. */
  tokenEnv: string | undefined;
  timeoutMs: number;
  retries: number;
  isBinary: boolean;
  /** The server's metadata, already checked against the manifest by the main thread. */
  signature: ModelSignature;
  /** The server's replica count, when its metadata says. */
  replicas: number | undefined;
  /** The server's name for each manifest input that it names differently. */
  inputNames: Record<string, string>;
  /** Each manifest output's name on the server, and the type its answers are converted to. */
  outputs: Record<string, { name: string; type: TensorType }>;
  /** A chunk's rows go in this many requests at once (--concurrency over the workers). */
  requestsPerChunk: number;
}

export interface ModelSetup {
  name: string;
  path: string;
  /** 'compiled' loads the compiled tree-ensemble engine; anything else onnxruntime. */
  engine?: string | undefined;
  /**
   * On onnxruntime: the SHA-256 of the model bytes whose subnormal weights were proved safe to flush
   * (prove-flush.ts); the worker flushes them only in a file with these bytes.
   */
  flushedFor?: string | undefined;
  remote?: RemoteModelSetup;
}

/** What a worker needs to load a manifest's model, as resolveEngines decided it. */
export function modelSetup(model: { name: string; path: string; engine?: string | undefined; flushedFor?: string | undefined }): ModelSetup {
  return { name: model.name, path: model.path, engine: model.engine, ...(model.flushedFor === undefined ? {} : { flushedFor: model.flushedFor }) };
}

/** A tensor's first dimension when it is a fixed number of rows, else undefined (symbolic or unknown). */
export function fixedBatchDimension(value: ValueSignature): number | undefined {
  const first = value.shape[0];
  return typeof first === 'number' && first > 0 ? first : undefined;
}

/** A shape as people read it: symbolic or unnamed dimensions as their name or 'N', unknown ones as '?'. */
export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => (typeof d === 'number' ? (d < 0 ? '?' : String(d)) : d === '' ? 'N' : d)).join(', ')}]`;
}
