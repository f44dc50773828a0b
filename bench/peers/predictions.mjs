// Reading and comparing predictions CSVs (batch-infer's and the peers') for the peer benchmark: floats within a
// relative 1e-5 (plus 2.5e-7 absolute, for values near zero), integer outputs (class labels) exactly.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const RELATIVE_TOLERANCE = 1e-5;
// A probability computed as 1 - p lands on -1.2e-7 (float32's epsilon at 1) in one runtime and on 0 in another:
// two such steps. Small against every output's typical value (ae_score ~5e-4).
const ABSOLUTE_TOLERANCE = 2.5e-7;

/** The manifest's output columns, and which of them hold an integer tensor (compared exactly). */
export function readOutputColumns(manifestPath, bin) {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const columns = [];
  const exact = new Set();
  for (const model of manifest.models) {
    const types = outputTypes(join(dirname(manifestPath), model.path), bin);
    for (const output of model.outputs) {
      columns.push(...output.columns);
      if (/^u?int/.test(types.get(output.name) ?? '')) for (const c of output.columns) exact.add(c);
    }
  }
  return { columns, exact };
}

/** Output name -> element type, from `batch-infer inspect` (its "outputs:" lines read "  name  type  [shape]"). */
function outputTypes(modelPath, bin) {
  const run = spawnSync(process.execPath, [bin, 'inspect', modelPath], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`batch-infer inspect ${modelPath} failed: ${run.stderr}`);
  const section = run.stdout.split(/^outputs:$/m)[1]?.split(/^\S/m)[0] ?? '';
  return new Map([...section.matchAll(/^ {2}(\S+) +(\S+) +\[/gm)].map((m) => [m[1], m[2]]));
}

/** The named columns of a predictions CSV as arrays of numbers. Only leading (pass-through) fields may be quoted,
 * so every field is found by its place counted from the end of the line. */
export function readColumns(file, columns) {
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const header = lines[0].split(',').map((name) => name.replace(/^"(.*)"$/, '$1'));
  const fromEnd = columns.map((c) => {
    if (!header.includes(c)) throw new Error(`${file}: no column ${c}`);
    return header.length - header.indexOf(c);
  });
  const values = columns.map(() => new Float64Array(lines.length - 1));
  for (let row = 1; row < lines.length; row++) {
    const fields = lines[row].split(',');
    fromEnd.forEach((back, i) => (values[i][row - 1] = Number(fields[fields.length - back])));
  }
  return new Map(columns.map((c, i) => [c, values[i]]));
}

/** 'match', or the first difference: row counts, then row by row and column by column. */
export function comparePredictions(reference, other, exact) {
  for (const [column, expected] of reference) {
    const actual = other.get(column);
    if (actual === undefined) return `no column ${column}`;
    if (actual.length !== expected.length) return `${column}: row count ${actual.length}, expected ${expected.length}`;
    const isExact = exact.has(column);
    for (let i = 0; i < expected.length; i++) {
      const isSame = isExact ? actual[i] === expected[i] : Math.abs(actual[i] - expected[i]) <= ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * Math.max(Math.abs(expected[i]), Math.abs(actual[i]));
      if (!isSame && !(Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) return `row ${i + 1} ${column}: ${actual[i]} vs ${expected[i]}${isExact ? ' (exact)' : ''}`;
    }
  }
  return 'match';
}
