import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { writeAutoencoderManifestWithFill } from '../helpers/manifests.js';
import { readCsv } from '../helpers/golden.js';
import { MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';

const AE = join(MODELS, 'autoencoder.manifest.json');
const lines = readFileSync(SNAPSHOT, 'utf8').trimEnd().split('\n');
const columns = lines[0]!.split(',');
// Rows without quoted fields, so that splitting at commas reads them.
const good = lines.slice(1).filter((line) => !line.includes('"')).slice(0, 5);
/** Replaces field `f` (0-based) of a CSV line. */
const setField = (line: string, f: number, value: string): string => line.split(',').map((v, i) => (i === f ? value : v)).join(',');
/** The same rows with tps (field 3) beyond float32 in row 1 and elapsed_avg_ms (field 4) in row 3. */
const rows = [good[0]!, setField(good[1]!, 3, '3.5e38'), good[2]!, setField(good[3]!, 4, '-1e39'), good[4]!];

/** A CSV line as an NDJSON object: pass-through columns as strings, features as JSON numbers written as they are. */
function ndjsonLine(line: string): string {
  const fields = line.split(',');
  return `{${columns.map((c, i) => `"${c}":${i < 3 ? JSON.stringify(fields[i]) : fields[i]}`).join(',')}}`;
}

function run(t: { after: (fn: () => void) => void }, format: 'csv' | 'ndjson', extra: string[], manifest = AE) {
  const dir = tempDir(t);
  const input = join(dir, `in.${format}`);
  writeFileSync(input, format === 'csv' ? `${lines[0]}\n${rows.join('\n')}\n` : `${rows.map(ndjsonLine).join('\n')}\n`);
  const rejectsFile = join(dir, 'rejects.csv');
  const result = runCli(['run', input, '-m', manifest, '--rejects', rejectsFile, '-q', ...extra]);
  return { result, out: readCsv(result.stdout), rejects: readCsv(readFileSync(rejectsFile, 'utf8')), dir };
}

describe('run: a feature beyond float32 never reaches the autoencoder as infinity', () => {
  const variants: [string, 'csv' | 'ndjson', string[]][] = [
    ['CSV, fast path', 'csv', []],
    ['CSV, reference path', 'csv', ['--parser', 'reference']],
    ['NDJSON', 'ndjson', []],
  ];
  for (const [name, format, extra] of variants) {
    it(`${name}: rejects those rows with line, reason and record; scores the rest; exit 1`, (t) => {
      const { result, out, rejects } = run(t, format, extra);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(out.length, 3);
      for (const row of out) assert.ok(Number.isFinite(Number(row.ae_score)), JSON.stringify(row));
      assert.deepEqual(rejects.map((r) => r.line), format === 'csv' ? ['3', '5'] : ['2', '4']);
      assert.match(rejects[0]!.reason!, /^column 'tps': '3\.5e\+?38' is out of float32 range$/);
      assert.match(rejects[1]!.reason!, /^column 'elapsed_avg_ms': '-1e\+?39' is out of float32 range$/);
      assert.ok(rejects[0]!.record!.includes('3.5e38'));
    });
  }

  it('uses the manifest fill for them instead, so every row is scored with finite scores', (t) => {
    const manifestFile = writeAutoencoderManifestWithFill(tempDir(t), 0);
    for (const extra of [[], ['--parser', 'reference']]) {
      const { result, out, rejects } = run(t, 'csv', extra, manifestFile);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(rejects.length, 0);
      assert.equal(out.length, 5);
      for (const row of out) assert.ok(Number.isFinite(Number(row.ae_score)), JSON.stringify(row));
    }
  });
});
