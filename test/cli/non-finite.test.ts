import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exitStatusOf } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { MODELS, tempDir } from '../helpers/paths.js';

// Built by fixtures/models/make_non_finite.py: y = log(x), NaN for x < 0 and -Infinity for x = 0.
const NON_FINITE = join(MODELS, 'non_finite.onnx');

/** Rows with x > 0 (finite), x = 0 (-Infinity) and x < 0 (NaN), many times over so that chunks split them. */
function snapshot(repeats: number): { text: string; finite: number; infinite: number; nan: number } {
  const lines = ['id,x'];
  const xs = ['1', '0', '-1', '2.5', '0.25'];
  for (let r = 0; r < repeats; r++) for (const [i, x] of xs.entries()) lines.push(`r${r}-${i},${x}`);
  return { text: `${lines.join('\n')}\n`, finite: 3 * repeats, infinite: repeats, nan: repeats };
}

function writeManifest(dir: string, nonFinite: string | undefined): string {
  const file = join(dir, `manifest-${nonFinite ?? 'default'}.json`);
  const model = {
    name: 'logm',
    path: NON_FINITE,
    ...(nonFinite === undefined ? {} : { nonFinite }),
    inputs: [{ name: 'x', columns: ['x'] }],
    outputs: [{ name: 'y', columns: ['log_x'] }],
    threshold: { column: 'log_x', above: 0.5, flag: 'is_high' },
  };
  writeFileSync(file, JSON.stringify({ version: 1, passthrough: ['id'], models: [model] }));
  return file;
}

describe('a model that outputs NaN or infinity', () => {
  it('rejects each such row by default, naming the model and the output column, and writes every other row', (t) => {
    const dir = tempDir(t);
    const data = snapshot(300);
    writeFileSync(join(dir, 'in.csv'), data.text);
    const result = runCli(['run', join(dir, 'in.csv'), '-m', writeManifest(dir, undefined), '-o', join(dir, 'out.csv'), '--rejects', join(dir, 'rejects.csv'), '-c', '128', '-q']);
    assert.equal(result.code, 1, result.stderr);
    const out = readFileSync(join(dir, 'out.csv'), 'utf8').trimEnd().split('\n');
    const rejects = readFileSync(join(dir, 'rejects.csv'), 'utf8').trimEnd().split('\n').slice(1);
    assert.equal(out.length - 1, data.finite);
    assert.equal(rejects.length, data.infinite + data.nan);
    assert.ok(out.slice(1).every((line) => !/NaN|Infinity/.test(line)), 'a non-finite value was written');
    assert.equal(rejects.filter((line) => line.includes("model logm: output column 'log_x' is -Infinity")).length, data.infinite);
    assert.equal(rejects.filter((line) => line.includes("model logm: output column 'log_x' is NaN")).length, data.nan);
    // Rows keep their input order and their own pass-through values next to their own predictions.
    const firstRows = out.slice(1, 4).map((line) => line.split(','));
    assert.deepEqual(firstRows.map(([id, , flag]) => [id, flag]), [['r0-0', '0'], ['r0-3', '1'], ['r0-4', '0']]);
    assert.deepEqual(firstRows.map(([, y]) => Math.fround(Number(y))), [1, 2.5, 0.25].map((x) => Math.fround(Math.log(x))));
  });

  it("writes them with the manifest's \"nonFinite\": \"keep\": NaN and -Infinity in CSV, null in NDJSON", (t) => {
    const dir = tempDir(t);
    const data = snapshot(2);
    writeFileSync(join(dir, 'in.csv'), data.text);
    const manifest = writeManifest(dir, 'keep');
    const csv = runCli(['run', join(dir, 'in.csv'), '-m', manifest, '-q']);
    assert.equal(csv.code, 0, csv.stderr);
    assert.deepEqual(csv.stdout.split('\n').slice(1, 4), ['r0-0,0,0', 'r0-1,-Infinity,0', 'r0-2,NaN,0']);
    const ndjson = runCli(['run', join(dir, 'in.csv'), '-m', manifest, '-q', '--output-format', 'ndjson']);
    assert.equal(ndjson.code, 0, ndjson.stderr);
    assert.deepEqual(JSON.parse(ndjson.stdout.split('\n')[1]!), { id: 'r0-1', log_x: null, is_high: 0 });
  });

  it('refuses a nonFinite setting other than reject or keep, naming it', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'in.csv'), snapshot(1).text);
    const result = runCli(['run', join(dir, 'in.csv'), '-m', writeManifest(dir, 'ignore')]);
    assert.equal(result.code, exitStatusOf('MANIFEST_INVALID'), result.stderr);
    assert.match(result.stderr, /\$\.models\[0\]\.nonFinite.*'reject' or 'keep', got 'ignore'/);
  });
});
