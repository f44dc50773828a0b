import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exitStatusOf } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { readCsv } from '../helpers/golden.js';
import { MODELS, tempDir } from '../helpers/paths.js';

// Built by fixtures/models/make_fixed_batch.py: x float32 [4, 3] -> y [4, 1] = a + 2b + 3c.
const FIXED_BATCH = join(MODELS, 'fixed_batch.onnx');

/** `rows` rows of id,a,b,c with small integers, so that y is exact in float32. */
function smallCsv(rows: number): string {
  const lines = ['id,a,b,c'];
  for (let r = 1; r <= rows; r++) lines.push(`r${r},${r},${r * 10},${r * 100}`);
  return `${lines.join('\n')}\n`;
}

function writeManifest(dir: string, model: string, inputs: string[], output: string): string {
  const file = join(dir, 'manifest.json');
  const manifest = {
    version: 1,
    passthrough: ['id'],
    models: [{ name: 'fixed', path: model, inputs: inputs.map((name) => ({ name, columns: ['a', 'b', 'c'] })), outputs: [{ name: output, columns: [output] }] }],
  };
  writeFileSync(file, JSON.stringify(manifest));
  return file;
}

describe('models with a fixed batch dimension', () => {
  it('scores every row of a [4, 3] model in calls of exactly 4 rows, padding the last, whatever the chunk size', (t) => {
    const dir = tempDir(t);
    const manifest = writeManifest(dir, FIXED_BATCH, ['x'], 'y');
    const input = join(dir, 'in.csv');
    // 1 and 5 rows: a padded call alone and after a full one; 11: several chunks that each end padded.
    for (const rows of [1, 5, 11]) {
      writeFileSync(input, smallCsv(rows));
      const expected = Array.from({ length: rows }, (_, i) => ({ id: `r${i + 1}`, y: String((i + 1) * 321) }));
      const outputs = new Set<string>();
      for (const flags of [[], ['--chunk-size', '4', '-w', '1'], ['--chunk-size', '3', '-w', '2'], ['--batch-rows', '3'], ['--chunk-size', '1']]) {
        const result = runCli(['run', input, '-m', manifest, '-q', ...flags]);
        assert.equal(result.code, 0, `${rows} rows ${flags.join(' ')}: ${result.stderr}`);
        assert.equal(result.stderr, '');
        assert.deepEqual(readCsv(result.stdout), expected, `${rows} rows ${flags.join(' ')}`);
        outputs.add(result.stdout);
      }
      assert.equal(outputs.size, 1);
    }
  });

  it('scores a fixed-batch model on the --model quick path too', (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'in.csv');
    writeFileSync(input, smallCsv(6));
    const result = runCli(['run', input, '--model', FIXED_BATCH, '--features', 'a,b,c', '-q']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readCsv(result.stdout).map((row) => row.y), ['321', '642', '963', '1284', '1605', '1926']);
  });

  const unusable = [
    {
      what: 'the input, when two inputs are fixed to different batch sizes',
      model: 'fixed_batch_two_sizes.onnx',
      inputs: ['a', 'b'],
      output: 'ya',
      message: /fixed_batch_two_sizes\.onnx: input 'b' has a fixed batch of 2 rows .*input 'a' one of 4/,
    },
    {
      what: 'the output, when an output has no value per row',
      model: 'fixed_batch_sum.onnx',
      inputs: ['x'],
      output: 'total',
      message: /fixed_batch_sum\.onnx: output 'total' has shape \[1, 1\]: its first dimension is not the batch/,
    },
  ];
  for (const { what, model, inputs, output, message } of unusable) {
    it(`exits 78 (manifest does not fit the model) before reading a row, with one line naming the model and ${what}`, (t) => {
      const dir = tempDir(t);
      const manifest = writeManifest(dir, join(MODELS, model), inputs, output);
      const input = join(dir, 'in.csv');
      writeFileSync(input, smallCsv(5));
      const result = runCli(['run', input, '-m', manifest]);
      assert.equal(result.code, exitStatusOf('MANIFEST_MISMATCH'), result.stderr);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, message);
    });
  }

  it('inspect says when the batch size is fixed, and when it is not', () => {
    const fixed = runCli(['inspect', FIXED_BATCH]);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /x\s+float32\s+\[4, 3\]/);
    assert.match(fixed.stdout, /batch size: fixed at 4 rows per call/);
    const dynamic = runCli(['inspect', join(MODELS, 'autoencoder.onnx')]);
    assert.match(dynamic.stdout, /batch size: any number of rows per call/);
  });
});
