/**
 * Before any row is read in --endpoint mode: check that the server is ready and that each model it serves has
 * the inputs and outputs the manifest expects (bindPlan does the comparison, with the server's metadata as the
 * model's signature), and pick the number of requests in flight.
 */

import { BatchInferError } from '../errors.js';
import type { Manifest } from '../model/manifest.js';
import type { ModelSetup } from '../model/signature.js';
import { checkReady, fetchMetadata, RemoteRejected, RemoteUnavailable, type RemoteSettings } from './v2-client.js';

export interface RemoteOptions {
  endpoint: string;
  /** The server's name for the model, when the manifest has one model whose name differs. */
  modelName: string | undefined;
  tokenEnv: string | undefined;
  timeoutMs: number;
  retries: number;
  /** Requests in flight; undefined: twice the server's replica count, or 4 when it does not say. */
  concurrency: number | undefined;
}

const DEFAULT_CONCURRENCY = 4;

function settingsFor(remote: RemoteOptions, modelName: string): RemoteSettings {
  return { endpoint: remote.endpoint, modelName, token: remote.tokenEnv === undefined ? undefined : process.env[remote.tokenEnv], timeoutMs: remote.timeoutMs, retries: remote.retries };
}

function asUserError(error: unknown): never {
  if (error instanceof RemoteUnavailable) throw new BatchInferError('REMOTE_UNAVAILABLE', error.message);
  if (error instanceof RemoteRejected) throw new BatchInferError('REMOTE_MISMATCH', error.message);
  throw error;
}

export async function prepareRemoteModels(manifest: Manifest, remote: RemoteOptions): Promise<ModelSetup[]> {
  if (remote.modelName !== undefined && manifest.models.length !== 1) {
    throw new BatchInferError('USAGE', `--model-name names one model; the manifest has ${manifest.models.length} (their names are used on the server)`);
  }
  try {
    const server = await checkReady(settingsFor(remote, ''));
    const isBinary = server.extensions.includes('binary_tensor_data');
    return await Promise.all(
      manifest.models.map(async (model) => {
        const modelName = remote.modelName ?? model.name;
        const metadata = await fetchMetadata(settingsFor(remote, modelName));
        return {
          name: model.name,
          path: model.path,
          remote: {
            endpoint: remote.endpoint,
            modelName,
            tokenEnv: remote.tokenEnv,
            timeoutMs: remote.timeoutMs,
            retries: remote.retries,
            isBinary,
            signature: { name: model.name, path: model.path, inputs: metadata.inputs, outputs: metadata.outputs },
            replicas: metadata.replicas,
          },
        };
      }),
    );
  } catch (error) {
    return asUserError(error);
  }
}

export function remoteConcurrency(remote: RemoteOptions, models: ModelSetup[]): number {
  if (remote.concurrency !== undefined) return remote.concurrency;
  const replicas = models[0]?.remote?.replicas;
  return replicas === undefined ? DEFAULT_CONCURRENCY : Math.max(2, 2 * replicas);
}
