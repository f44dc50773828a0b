/**
 * The only code that runs inside a pool worker (a thread, or a child process with --isolation process). It
 * loads the run's models once, when the worker starts, and scores chunks with them until the pool ends. It
 * returns plain results: errors do not survive the thread boundary as objects.
 */

import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';
import Tinypool from 'tinypool';
import { detachOneBufferEarly } from './detach-early.js';
import { describeError } from '../errors.js';
import { INFER_TASK, injectFault, parseFaults } from './fault-injection.js';
import { loadModels, type LoadedModel } from '../model/model-session.js';
import type { ChunkTask, TaskStarted, WorkerResult, WorkerSetup, WorkerTask } from './messages.js';
import { inferTensors } from '../scoring/infer-tensors.js';
import { scoreChunk } from '../scoring/score-chunk.js';
import { makeRoomForChunks, timed, warmUp } from '../scoring/warm-up.js';

detachOneBufferEarly();

// Inside a tinypool thread, worker_threads.workerData is tinypool's own tuple; the pool's workerData is here.
// A child process gets no workerData from tinypool, so the setup also travels in the environment.
const setup = (Tinypool.workerData ?? JSON.parse(process.env.BATCH_INFER_WORKER_SETUP ?? '{}')) as WorkerSetup;
const workerId = isMainThread ? process.pid : threadId;
const faults = parseFaults(process.env.BATCH_INFER_FAULT);
// Tells the pool which chunk this thread is on, so that a thread that exits by itself (which tinypool does not
// notice) can be matched to its chunk. Processes need no such help: tinypool sees a child exit.
const announcements = isMainThread ? undefined : new BroadcastChannel(setup.channel);
announcements?.unref();

// Raised around every call into onnxruntime (see WorkerSetup.nativeFlags); session.run holds the thread until the
// call returns, so the flag is exact. A child process has no shared memory, and is safe to kill anyway.
const nativeFlags = isMainThread ? undefined : new Int32Array(setup.nativeFlags);
const slots = (nativeFlags?.length ?? 2) / 2;
const isInNativeSlot = threadId % slots;
const givenUpKeySlot = slots + (threadId % slots);
/** The error name scoreChunk lets through, so that the chunk fails here instead of its rows becoming rejects. */
const ABANDONED = 'ChunkAbandoned';
/** The key of the chunk this thread is scoring. */
let currentKey = -1;

function flagNativeCalls(models: LoadedModel[]): LoadedModel[] {
  if (nativeFlags === undefined) return models;
  for (const model of models) {
    if (model.session.isRemote === true) continue;
    const session = model.session;
    const run = session.run.bind(session);
    session.run = async (feeds, names) => {
      // Raised before the pool's give-up is read, as the pool writes it before reading this flag: one of the two
      // always sees the other, so a thread is never stopped inside the call.
      Atomics.store(nativeFlags, isInNativeSlot, 1);
      if (Atomics.load(nativeFlags, givenUpKeySlot) === currentKey) {
        Atomics.store(nativeFlags, isInNativeSlot, 0);
        throw Object.assign(new Error('the pool gave up on this chunk'), { name: ABANDONED });
      }
      try {
        return await run(feeds, names);
      } finally {
        Atomics.store(nativeFlags, isInNativeSlot, 0);
      }
    };
  }
  return models;
}

let loadCount = 0;
const loadStart = performance.now();
const loading: Promise<{ models: LoadedModel[]; loadMs: number }> = loadModels(setup.models).then((models) => {
  loadCount++;
  return { models: flagNativeCalls(models), loadMs: performance.now() - loadStart };
});
// Reported by the first task; never an unhandled rejection that would end the worker.
loading.catch(() => undefined);

async function runChunk(task: ChunkTask, models: LoadedModel[]): Promise<WorkerResult> {
  const start = performance.now();
  currentKey = task.key;
  announcements?.postMessage({ workerId, key: task.key } satisfies TaskStarted);
  injectFault(faults, task.index, task.attempt);
  const scored = await scoreChunk(task.bytes, task.firstLine, task.plan, models);
  return {
    kind: 'chunk',
    ok: true,
    index: task.index,
    workerId,
    loadCount,
    rowsIn: scored.rowsIn,
    rowsOut: scored.rowsOut,
    rowsRejected: scored.rowsRejected,
    output: scored.output,
    rejects: scored.rejects,
    parseMs: scored.parseMs,
    inferMs: scored.inferMs,
    inferMsByModel: scored.inferMsByModel,
    busyMs: performance.now() - start,
    networkMs: scored.networkMs,
    serverMs: scored.serverMs,
    requests: scored.requests,
    requestRetries: scored.requestRetries,
    ...(scored.serverRefusal === undefined ? {} : { serverRefusal: scored.serverRefusal }),
  };
}

/** Hands the result's buffers to the main thread instead of copying them (tinypool's transferable protocol). */
function moveBuffers(result: WorkerResult, buffers: ArrayBufferLike[]): WorkerResult {
  if (isMainThread) return result; // A child process serialises; there is nothing to transfer.
  const movable = { [Tinypool.transferableSymbol]: buffers, [Tinypool.valueSymbol]: result };
  return Tinypool.move(movable as unknown as ArrayBuffer) as unknown as WorkerResult;
}

export default async function handleTask(task: WorkerTask): Promise<WorkerResult> {
  const index = task.kind === 'chunk' ? task.index : -1;
  let loaded: { models: LoadedModel[]; loadMs: number };
  try {
    loaded = await loading;
  } catch (error) {
    return { kind: 'failed', ok: false, index, code: 'MODEL_LOAD', message: describeError(error) };
  }
  if (task.kind === 'ready') {
    return { kind: 'ready', ok: true, workerId, loadMs: loaded.loadMs, signatures: loaded.models.map((m) => m.signature) };
  }
  if (task.kind === 'warm-up') {
    let ms = 0;
    try {
      const pass = () => scoreChunk(task.bytes, 1, task.plan, loaded.models);
      // Against a server one pass opens the connections; repeating it would only load the server.
      const start = performance.now();
      if (setup.models.some((m) => m.remote !== undefined)) {
        await timed(pass);
      } else {
        await warmUp(pass);
        makeRoomForChunks(task.bytes.length, task.chunkBytes);
      }
      ms = performance.now() - start;
    } catch {
      // Best effort: the real chunks will report any problem.
    }
    return { kind: 'warm-up', ok: true, workerId, ms };
  }
  if (task.kind === 'infer') {
    const start = performance.now();
    // As for a chunk: the give-up flag and a thread's exit are matched to this task by its key.
    currentKey = task.key;
    announcements?.postMessage({ workerId, key: task.key } satisfies TaskStarted);
    try {
      injectFault(faults, INFER_TASK, task.attempt);
      const outputs = await inferTensors(task, loaded.models);
      return moveBuffers({ kind: 'infer', ok: true, workerId, outputs, ms: performance.now() - start }, outputs.map((o) => o.data.buffer));
    } catch (error) {
      return { kind: 'failed', ok: false, index, code: 'WORKER_FAILED', message: describeError(error) };
    }
  }
  try {
    const result = await runChunk(task, loaded.models);
    return result.kind === 'chunk' ? moveBuffers(result, [result.output.buffer, result.rejects.buffer]) : result;
  } catch (error) {
    const code = (error as Error).name === 'RemoteUnavailable' ? 'REMOTE_UNAVAILABLE' : 'WORKER_FAILED';
    return { kind: 'failed', ok: false, index, code, message: describeError(error) };
  }
}
