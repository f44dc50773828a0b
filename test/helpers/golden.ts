import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { MODELS } from './paths.js';

interface Golden {
  rows: number;
  outputs: Record<string, { type: string; dims: number[]; data: number[] }>;
}

interface ManifestJson {
  models: { name: string; outputs: { name: string; columns: string[] }[] }[];
}

export function readCsv(text: string): Record<string, string>[] {
  return parse(text, { columns: true }) as Record<string, string>[];
}

/**
 * Checks every output column the manifest names against the Python onnxruntime goldens: relative error at
 * most 1e-5 (exact for integers). `rowIndexes[i]` is the fixture row that output row i came from.
 */
export function assertMatchesGoldens(rows: Record<string, string | number>[], manifestFile: string, rowIndexes?: number[]): number {
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as ManifestJson;
  let checked = 0;
  for (const model of manifest.models) {
    const golden = JSON.parse(readFileSync(join(MODELS, 'golden', `${model.name}.json`), 'utf8')) as Golden;
    for (const output of model.outputs) {
      const expected = golden.outputs[output.name];
      assert.ok(expected, `golden for ${model.name}.${output.name}`);
      const width = output.columns.length;
      rows.forEach((row, i) => {
        const source = rowIndexes?.[i] ?? i;
        output.columns.forEach((column, c) => {
          const actual = Number(row[column]);
          const wanted = expected.data[source * width + c]!;
          const tolerance = expected.type.startsWith('int') ? 0 : 1e-5 * Math.max(Math.abs(wanted), 1e-30);
          assert.ok(Math.abs(actual - wanted) <= tolerance, `${model.name} ${column} row ${source}: got ${actual}, golden ${wanted}`);
          checked++;
        });
      });
    }
  }
  return checked;
}
