/**
 * Before any row is read in --endpoint mode: check that the server is ready and that each model it serves has
 * the inputs and outputs the manifest expects, through the manifest's `remote` mapping of names and datatypes.
 * The server's metadata becomes a signature in the manifest's names and written types, which bindPlan then
 * checks like a local model's; an output that cannot be written as numbers is refused here, not per chunk.
 */

import { BatchInferError } from '../errors.js';
import type { Manifest, ManifestModel } from '../model/manifest.js';
import type { ModelSetup, RemoteModelSetup, TensorType, ValueSignature } from '../model/signature.js';
import { checkReady, fetchMetadata, RemoteRejected, RemoteTimedOut, RemoteUnavailable, type ModelMetadata, type RemoteSettings } from './v2-client.js';
import { isNumericDatatype, naturalType } from './v2-datatypes.js';

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
  // At start, a server that does not answer in time is as unavailable as one that is not there.
  if (error instanceof RemoteUnavailable || error instanceof RemoteTimedOut) throw new BatchInferError('REMOTE_UNAVAILABLE', error.message);
  if (error instanceof RemoteRejected) throw new BatchInferError('REMOTE_MISMATCH', error.message);
  throw error;
}

/** The server's metadata in the manifest's names, with each output's written type; the mapping for the worker. */
function mapMetadata(model: ManifestModel, modelName: string, metadata: ModelMetadata): Pick<RemoteModelSetup, 'inputNames' | 'outputs'> & { inputs: ValueSignature[]; outputSignatures: ValueSignature[] } {
  const mapping = model.remote;
  const inputNames = mapping?.inputs ?? {};
  const manifestInput = (server: string): string => Object.keys(inputNames).find((name) => inputNames[name] === server) ?? server;
  const inputs = metadata.inputs.map((v) => ({ name: manifestInput(v.name), type: naturalType(v.datatype) ?? v.datatype, shape: v.shape }));
  const outputMap = mapping?.outputs ?? {};
  const manifestOutput = (server: string): string => Object.keys(outputMap).find((name) => outputMap[name]!.name === server) ?? server;
  const outputs: Record<string, { name: string; type: TensorType }> = {};
  const outputSignatures = metadata.outputs.map((v): ValueSignature => {
    const name = manifestOutput(v.name);
    const declared = model.outputs?.find((o) => o.name === name);
    const expected = outputMap[name]?.datatype;
    const where = `--endpoint: model '${modelName}' output '${v.name}'`;
    if (expected !== undefined && expected !== v.datatype) throw new RemoteRejected(`${where} is ${v.datatype} on the server, the manifest's remote mapping says ${expected}`);
    if (!isNumericDatatype(v.datatype)) {
      // An output the manifest writes must be numbers; one it does not use may be anything.
      if (declared !== undefined) throw new RemoteRejected(`${where} is ${v.datatype}, which cannot be written as ${declared.type ?? 'numbers'} (map an output with a numeric datatype)`);
      return { name, type: v.datatype, shape: v.shape };
    }
    const type = declared?.type ?? naturalType(v.datatype)!;
    outputs[name] = { name: v.name, type };
    return { name, type, shape: v.shape };
  });
  return { inputNames, outputs, inputs, outputSignatures };
}

/** The models' setups for the workers; each sends a chunk in one request until the caller sets requestsPerChunk. */
export async function prepareRemoteModels(manifest: Manifest, remote: RemoteOptions): Promise<ModelSetup[]> {
  if (remote.modelName !== undefined && manifest.models.length !== 1) {
    throw new BatchInferError('USAGE', `--model-name names one model; the manifest has ${manifest.models.length} (their names are used on the server)`);
  }
  try {
    const server = await checkReady(settingsFor(remote, ''));
    const isBinary = server.extensions.includes('binary_tensor_data');
    return await Promise.all(
      manifest.models.map(async (model) => {
        const modelName = remote.modelName ?? model.remote?.name ?? model.name;
        const metadata = await fetchMetadata(settingsFor(remote, modelName));
        const mapped = mapMetadata(model, modelName, metadata);
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
            signature: { name: model.name, path: model.path, inputs: mapped.inputs, outputs: mapped.outputSignatures },
            replicas: metadata.replicas,
            inputNames: mapped.inputNames,
            outputs: mapped.outputs,
            requestsPerChunk: 1,
          },
        };
      }),
    );
  } catch (error) {
    return asUserError(error);
  }
}

export function remoteConcurrency(remote: RemoteOptions, replicas: number | undefined): number {
  if (remote.concurrency !== undefined) return remote.concurrency;
  return replicas === undefined ? DEFAULT_CONCURRENCY : Math.max(2, 2 * replicas);
}
