/**
 * A model that runs on a V2 inference server instead of in this worker: the same `run(feeds, outputs)` as an
 * onnxruntime session, so that parsing, tensor building, formatting and rejects stay exactly as for local runs;
 * only the tensors travel, under the server's names (the manifest's `remote` mapping).
 */

import { threadId } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import type { RemoteModelSetup, TensorType } from '../model/signature.js';
import { infer, type InferInput, type RemoteSettings } from './v2-client.js';

export interface RemoteTiming {
  networkMs: number;
  serverMs: number;
  requests: number;
  /** Extra tries of those requests. */
  retries: number;
}

/** Request ids unique in this process: worker, then a count. */
let nextRequest = 0;

function noTiming(): RemoteTiming {
  return { networkMs: 0, serverMs: 0, requests: 0, retries: 0 };
}

export class RemoteRunner {
  readonly isRemote = true;
  readonly requestsPerChunk: number;
  readonly #settings: RemoteSettings;
  readonly #setup: RemoteModelSetup;
  #timing = noTiming();
  readonly #stats = { retries: 0 };

  constructor(setup: RemoteModelSetup) {
    this.#settings = {
      endpoint: setup.endpoint,
      modelName: setup.modelName,
      // Read here, in the worker, from the environment: the token never travels in messages or appears in output.
      token: setup.tokenEnv === undefined ? undefined : process.env[setup.tokenEnv],
      timeoutMs: setup.timeoutMs,
      retries: setup.retries,
      stats: this.#stats,
    };
    this.#setup = setup;
    this.requestsPerChunk = setup.requestsPerChunk;
  }

  async run(feeds: Record<string, ort.Tensor>, outputNames: readonly string[]): Promise<Record<string, { data: ArrayLike<number | bigint> }>> {
    const inputs = Object.entries(feeds).map(([name, tensor]): InferInput => ({
      name: this.#setup.inputNames[name] ?? name,
      type: tensor.type as TensorType,
      shape: [...tensor.dims],
      data: tensor.data as Float32Array,
    }));
    const outputs = outputNames.map((name) => this.#setup.outputs[name] ?? { name, type: 'float32' as const });
    this.#timing.requests++;
    const id = `${this.#setup.modelName}-${threadId}-${nextRequest++}`;
    try {
      const result = await infer(this.#settings, id, inputs, outputs, this.#setup.isBinary);
      this.#timing.networkMs += result.networkMs;
      this.#timing.serverMs += result.serverMs ?? 0;
      return Object.fromEntries(outputNames.flatMap((name, o) => {
        const tensor = result.outputs.get(outputs[o]!.name);
        return tensor === undefined ? [] : [[name, { data: tensor.data }]];
      }));
    } finally {
      this.#timing.retries += this.#stats.retries;
      this.#stats.retries = 0;
    }
  }

  /** Network and server time, requests and their retries since the last call. */
  takeTiming(): RemoteTiming {
    const timing = this.#timing;
    this.#timing = noTiming();
    return timing;
  }

  async release(): Promise<void> {}
}
