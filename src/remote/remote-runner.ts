/**
 * A model that runs on a V2 inference server instead of in this worker: the same `run(feeds, outputs)` as an
 * onnxruntime session, so that parsing, tensor building, formatting and rejects stay exactly as for local runs;
 * only the tensors travel.
 */

import type * as ort from 'onnxruntime-node';
import type { RemoteModelSetup, TensorType } from '../model/signature.js';
import { infer, type RemoteSettings } from './v2-client.js';

export interface RemoteTiming {
  networkMs: number;
  serverMs: number;
}

export class RemoteRunner {
  readonly isRemote = true;
  readonly #settings: RemoteSettings;
  readonly #isBinary: boolean;
  #timing: RemoteTiming = { networkMs: 0, serverMs: 0 };

  constructor(setup: RemoteModelSetup) {
    this.#settings = {
      endpoint: setup.endpoint,
      modelName: setup.modelName,
      // Read here, in the worker, from the environment: the token never travels in messages or appears in output.
      token: setup.tokenEnv === undefined ? undefined : process.env[setup.tokenEnv],
      timeoutMs: setup.timeoutMs,
      retries: setup.retries,
    };
    this.#isBinary = setup.isBinary;
  }

  async run(feeds: Record<string, ort.Tensor>, outputNames: readonly string[]): Promise<Record<string, { data: ArrayLike<number | bigint> }>> {
    const inputs = Object.entries(feeds).map(([name, tensor]) => ({
      name,
      type: tensor.type as TensorType,
      shape: [...tensor.dims],
      data: tensor.data as Float32Array,
    }));
    const result = await infer(this.#settings, inputs, [...outputNames], this.#isBinary);
    this.#timing.networkMs += result.networkMs;
    this.#timing.serverMs += result.serverMs ?? 0;
    return Object.fromEntries([...result.outputs].map(([name, tensor]) => [name, { data: tensor.data }]));
  }

  /** Network and server time since the last call. */
  takeTiming(): RemoteTiming {
    const timing = this.#timing;
    this.#timing = { networkMs: 0, serverMs: 0 };
    return timing;
  }

  async release(): Promise<void> {}
}
