/**
 * bench --rows N: a seeded snapshot that fits the manifest. When the manifest reads APM columns the APM
 * generator's realistic rows are used; otherwise every column the manifest names gets seeded numbers (feature
 * columns) or ids (pass-through columns).
 */

import type { Manifest } from '../model/manifest.js';
import { APM_COLUMNS, createRandom, generateApmSnapshotCsv } from '../synth/apm-snapshot.js';

export function synthesizeSnapshot(manifest: Manifest, rows: number, seed = 42): Buffer {
  const features = [...new Set(manifest.models.flatMap((m) => m.inputs.flatMap((i) => i.columns ?? [])))];
  const passthrough = manifest.passthrough ?? [];
  const needed = [...passthrough, ...features];
  if (needed.every((column) => APM_COLUMNS.includes(column))) {
    return Buffer.from([...generateApmSnapshotCsv({ rows, seed })].join(''));
  }
  const random = createRandom(seed);
  const lines = [needed.join(',')];
  for (let r = 0; r < rows; r++) {
    const ids = passthrough.map((_, p) => `id${p}-${r}`);
    const values = features.map(() => (Math.exp(random() * 6) - 1).toFixed(3));
    lines.push([...ids, ...values].join(','));
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}
