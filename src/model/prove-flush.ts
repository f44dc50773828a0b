/**
 * The proof that flushing a model's subnormal weights (subnormal-weights.ts) changes none of its predictions:
 * onnxruntime scores a sample with the model as it is and with the flushed copy, and every output must be the
 * same, bit for bit (NaN excepted, which equals NaN). Only then does `--engine auto` give the workers the copy;
 * `--engine onnxruntime` always runs the file as it is.
 *
 * Why a sample can settle it: a flushed weight w is below 2^-126 in magnitude, so w * x is below half a float32
 * ulp of any partial sum larger than |x| * 2^-102 (about |x| * 2e-31), and adding it rounds back to the same sum.
 * Only a sum that stays that close to zero (for inputs up to 10^6, within about 10^-25) can come out differently;
 * the sample tries inputs at many scales. It is a sample, not an exhaustive proof, as for the compiled engine,
 * and the verdict is cached by the model's SHA-256 (proof-cache.ts) in the same way.
 */

import * as ort from 'onnxruntime-node';
import { describeError } from '../errors.js';
import { createRandom } from '../synth/apm-snapshot.js';
import { SESSION_OPTIONS } from './model-session.js';
import { proofFile, readProofJson, sha256, writeProofFile } from './proof-cache.js';
import { flushSubnormalWeights } from './subnormal-weights.js';

/** Bumped when the flush or the sample changes: older verdicts no longer count. */
export const FLUSH_VERSION = 1;
/** Rows in the sample when a model's inputs take any number of rows. */
const FLUSH_PROOF_ROWS = 4096;

export interface FlushVerdict {
  /** How many subnormal values the model holds (0: nothing to flush, no proof run). */
  flushed: number;
  /** '' when the flushed copy gave the same outputs, else what differed or why there was no proof. */
  detail: string;
  /** The model bytes' SHA-256, the key of the verdict (and what a worker checks before it flushes). */
  sha: string;
  isCached: boolean;
  ms: number;
}

/**
 * Sample values at many scales: a third uniform in [-1, 1], the rest of magnitude 10^-6 .. 10^6 (either sign),
 * and some exact zeros: raw metrics and standardised features alike.
 */
function sampleValues(count: number, next: () => number): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const pick = next();
    if (pick < 0.05) values[i] = 0;
    else if (pick < 0.38) values[i] = next() * 2 - 1;
    else values[i] = (next() < 0.3 ? -1 : 1) * 10 ** (next() * 12 - 6);
  }
  return values;
}

/** The sample's feeds: every input a float32 [N, K] tensor (N free or fixed), else why there is no proof. */
function makeFeeds(session: ort.InferenceSession): Record<string, ort.Tensor> | string {
  const next = createRandom(0xf1a5);
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of session.inputMetadata) {
    const shape = input.isTensor ? input.shape : [];
    const width = shape[1];
    if (!input.isTensor || input.type !== 'float32' || shape.length !== 2 || typeof width !== 'number' || width <= 0) {
      return `no proof sample for input '${input.name}', which is not a float32 [N, K] tensor`;
    }
    const rows = typeof shape[0] === 'number' && shape[0] > 0 ? shape[0] : FLUSH_PROOF_ROWS;
    feeds[input.name] = new ort.Tensor('float32', sampleValues(rows * width, next), [rows, width]);
  }
  return feeds;
}

/** The first output value that is not the same bit for bit (NaN equal to NaN), or ''. */
function firstDifference(name: string, expected: ArrayLike<unknown>, actual: ArrayLike<unknown>): string {
  if (expected.length !== actual.length) return `${name}: ${actual.length} values, ${expected.length} unflushed`;
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(expected[i], actual[i])) return `${name}[${i}]: ${String(actual[i])}, unflushed ${String(expected[i])}`;
  }
  return '';
}

async function runProof(original: Uint8Array, flushed: Uint8Array): Promise<string> {
  const [asIs, copy] = await Promise.all([ort.InferenceSession.create(original, SESSION_OPTIONS), ort.InferenceSession.create(flushed, SESSION_OPTIONS)]);
  try {
    const feeds = makeFeeds(asIs);
    if (typeof feeds === 'string') return feeds;
    const expected = await asIs.run(feeds);
    const actual = await copy.run(feeds);
    for (const name of asIs.outputNames) {
      const difference = firstDifference(name, expected[name]!.data as ArrayLike<unknown>, actual[name]!.data as ArrayLike<unknown>);
      if (difference !== '') return difference;
    }
    return '';
  } finally {
    await Promise.all([asIs.release(), copy.release()]);
  }
}

function cacheFile(sha: string): string {
  return proofFile(sha, `flush-v${FLUSH_VERSION}.json`);
}

/** The verdict cached for the model bytes with this SHA-256, if any. */
function readCachedFlush(sha: string): Pick<FlushVerdict, 'flushed' | 'detail'> | undefined {
  const cached = readProofJson(cacheFile(sha));
  return typeof cached?.flushed === 'number' && typeof cached.detail === 'string' ? { flushed: cached.flushed, detail: cached.detail } : undefined;
}

/**
 * Whether the model's subnormal weights can be flushed without changing a prediction: the verdict cached for
 * these bytes, else the proof run now (and cached). A model without subnormal weights needs no proof.
 */
export async function proveFlush(bytes: Uint8Array): Promise<FlushVerdict> {
  const start = performance.now();
  const sha = sha256(bytes);
  const verdict = (flushed: number, detail: string, isCached: boolean): FlushVerdict => ({ flushed, detail, sha, isCached, ms: performance.now() - start });
  const cached = readCachedFlush(sha);
  if (cached !== undefined) return verdict(cached.flushed, cached.detail, true);
  const copy = flushSubnormalWeights(bytes);
  if (copy === undefined) return verdict(0, 'not readable as ONNX, or values in an external file', false);
  if (copy.flushed === 0) return verdict(0, '', false);
  let detail: string;
  try {
    detail = await runProof(bytes, copy.bytes);
  } catch (error) {
    // Not cached: a session that could not be created here (memory, a broken file) says nothing of the model.
    return verdict(copy.flushed, `proof failed: ${describeError(error)}`, false);
  }
  writeProofFile(cacheFile(sha), JSON.stringify({ flushed: copy.flushed, detail }));
  return verdict(copy.flushed, detail, false);
}
