/**
 * The rows the compiled engine is proved on: built from the model itself, so that every split is met exactly
 * at its threshold, just below and just above it, and by NaN, plus random rows over the thresholds' range.
 * Deterministic (fixed seed), so that a proof can be cached by the model's hash and the engine's version.
 */

import { createRandom } from '../../synth/apm-snapshot.js';
import { readOnnx } from './read-onnx.js';

export const PROOF_ROWS = 2048;

/** Float32 neighbours: the next float32 values below and above. */
function neighbours(value: number): [number, number] {
  const cell = new Float32Array([value]);
  const bits = new Int32Array(cell.buffer);
  const step = (up: boolean): number => {
    const copy = new Int32Array([bits[0]!]);
    copy[0] = copy[0]! + ((value >= 0) === up ? 1 : -1) * (value === 0 ? 0 : 1);
    return new Float32Array(copy.buffer)[0]!;
  };
  return value === 0 ? [-1.401298464324817e-45, 1.401298464324817e-45] : [step(false), step(true)];
}

/** Every tree threshold of the model, by feature (of the tensor the ensemble reads). */
function thresholdsByFeature(bytes: Uint8Array): Map<number, number[]> {
  const byFeature = new Map<number, number[]>();
  for (const node of readOnnx(bytes).nodes) {
    const features = node.attributes.get('nodes_featureids')?.ints ?? [];
    const values = node.attributes.get('nodes_values')?.floats ?? [];
    features.forEach((feature, i) => {
      const list = byFeature.get(feature);
      if (list === undefined) byFeature.set(feature, [values[i] ?? 0]);
      else list.push(values[i] ?? 0);
    });
  }
  return byFeature;
}

/** PROOF_ROWS rows of `width` float32 features. */
export function makeProofSample(bytes: Uint8Array, width: number): Float32Array {
  const byFeature = thresholdsByFeature(bytes);
  const all = [...byFeature.values()].flat();
  const low = all.reduce((a, b) => Math.min(a, b), all.length > 0 ? Infinity : -1);
  const high = all.reduce((a, b) => Math.max(a, b), all.length > 0 ? -Infinity : 1);
  // The generator's numbers are the same on every machine, so that a cached verdict holds everywhere.
  const next = createRandom(0x5eed);
  const rows = new Float32Array(PROOF_ROWS * width);
  for (let r = 0; r < PROOF_ROWS; r++) {
    for (let c = 0; c < width; c++) {
      const own = byFeature.get(c) ?? all;
      const pick = next();
      const threshold = own.length > 0 ? own[Math.floor(next() * own.length)]! : 0;
      if (pick < 0.05) rows[r * width + c] = NaN;
      else if (pick < 0.4) rows[r * width + c] = threshold;
      else if (pick < 0.6) rows[r * width + c] = neighbours(threshold)[next() < 0.5 ? 0 : 1];
      else rows[r * width + c] = low + next() * (high - low) * 1.2 - (high - low) * 0.1;
    }
  }
  return rows;
}
