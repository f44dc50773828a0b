import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exitStatusOf } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { writeAutoencoderManifestWithFill } from '../helpers/manifests.js';
import { readCsv } from '../helpers/golden.js';
import { MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';

const AE = join(MODELS, 'autoencoder.manifest.json');
const lines = readFileSync(SNAPSHOT, 'utf8').trimEnd().split('\n');
const header = lines[0]!;
const good = lines.slice(1, 21);
/** Replaces field `f` (0-based) of a CSV line. */
const setField = (line: string, f: number, value: string): string => line.split(',').map((v, i) => (i === f ? value : v)).join(',');

interface Case {
  name: string;
  /** Lines after the header; a Buffer for raw bytes. */
  input: string | Buffer;
  extra?: string[];
  file?: string;
  code: number;
  /** Reject reasons expected, in order (for exit 1 or 5). */
  reasons?: RegExp[];
  /** The one-line message when the input is unusable (INPUT_HEADER, exit 65). */
  message?: RegExp;
}

const cases: Case[] = [
  { name: 'unclosed quote', input: [good[0], `"unclosed,${good[1]}`, ...good.slice(2)].join('\n'), code: 1, reasons: [/unclosed quote on line 3: the input ends before the closing quote/] },
  { name: 'wrong field count', input: [good[0], good[1]!.split(',').slice(0, 10).join(','), good[2]].join('\n'), code: 1, reasons: [/expected 17 fields, got 10/] },
  { name: 'stray bytes in a number', input: [good[0], setField(good[1]!, 3, '1\u0001'), good[2]].join('\n'), code: 1, reasons: [/column 'tps': '1\u0001' is not a number/] },
  { name: 'invalid UTF-8', input: Buffer.concat([Buffer.from(`${header}\n${good[0]}\n`), Buffer.from([0x74, 0xff, 0xfe, 0x2c]), Buffer.from(`${good[1]!.slice(good[1]!.indexOf(',') + 1)}\n`)]), code: 1, reasons: [/invalid UTF-8/] },
  { name: 'non-numeric feature', input: [setField(good[0]!, 5, 'fast'), good[1]].join('\n'), code: 1, reasons: [/column 'elapsed_max_ms': 'fast' is not a number/] },
  { name: 'empty feature', input: [setField(good[0]!, 5, ''), good[1]].join('\n'), code: 1, reasons: [/column 'elapsed_max_ms': missing value/] },
  // Every row of these two is a reject: beyond the default --max-rejects (50%), so the run fails with 5.
  { name: 'NaN and infinite features', input: [setField(good[0]!, 5, 'NaN'), setField(good[1]!, 6, '-Infinity'), setField(good[2]!, 7, '1e999')].join('\n'), code: 5, reasons: [/'NaN' is not finite/, /'-Infinity' is not finite/, /'1e999' is not finite/] },
  { name: 'a line far longer than any real one', input: [good[0], `${good[1]}${'9'.repeat(5000)}`, good[2]].join('\n'), extra: ['--max-line-bytes', '2000'], code: 1, reasons: [/record longer than --max-line-bytes \(2000 bytes/] },
  { name: 'NDJSON line that is not JSON, and one that is not an object', file: 'x.ndjson', input: ['{"tps": 1', '[1,2]'].join('\n'), code: 5, reasons: [/not JSON/, /not a JSON object/] },
  { name: 'missing required column', input: Buffer.from(`${header.replace('tps', 'tpx')}\n${good[0]}\n`), code: exitStatusOf('INPUT_HEADER'), message: /column 'tps' \(input 'metrics' of model autoencoder\) is not in the header/ },
  { name: 'duplicate header names', input: Buffer.from(`${header.replace('minute', 'tps')}\n${good[0]}\n`), code: exitStatusOf('INPUT_HEADER'), message: /line 1: column 'tps' appears twice in the header \(columns 1 and 4\)/ },
  { name: 'header only', input: Buffer.from(`${header}\n`), code: 0 },
  { name: 'empty file', input: Buffer.alloc(0), code: exitStatusOf('INPUT_HEADER'), message: /empty input, no header line/ },
  { name: 'header longer than the line limit', input: Buffer.from(`${header}${',x'.repeat(3000)}\n${good[0]}\n`), extra: ['--max-line-bytes', '1000'], code: exitStatusOf('INPUT_HEADER'), message: /line 1: the header is longer than --max-line-bytes/ },
];

describe('bad input: a reject per bad row, or one line and exit 65 (data) when the input is unusable', () => {
  for (const c of cases) {
    it(`${c.name}: exit ${c.code}`, (t) => {
      const dir = tempDir(t);
      const file = join(dir, c.file ?? 'in.csv');
      const content = typeof c.input === 'string' ? (c.file?.endsWith('.ndjson') ? `${c.input}\n` : `${header}\n${c.input}\n`) : c.input;
      writeFileSync(file, content);
      const rejectsFile = join(dir, 'rejects.csv');
      const timingFile = join(dir, 't.json');
      const result = runCli(['run', file, '-m', AE, '--rejects', rejectsFile, '--timing-json', timingFile, '-q', ...(c.extra ?? [])]);
      assert.equal(result.code, c.code, result.stderr);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
      if (c.message !== undefined) {
        assert.match(result.stderr, c.message);
        assert.equal(result.stderr.trim().split('\n').length, 1);
        return;
      }
      const timing = JSON.parse(readFileSync(timingFile, 'utf8')) as Record<string, number>;
      const rejects = readCsv(readFileSync(rejectsFile, 'utf8'));
      const out = readCsv(result.stdout);
      assert.equal(timing.rows, out.length + rejects.length, 'rows in = out + rejected');
      assert.equal(rejects.length, c.reasons?.length ?? 0, JSON.stringify(rejects));
      c.reasons?.forEach((reason, i) => assert.match(rejects[i]!.reason!, reason));
      for (const reject of rejects) assert.ok(Number(reject.line) >= 1, 'every reject names its line');
    });
  }

  it('fills a missing or non-finite feature when the manifest says so, and still rejects text', (t) => {
    const dir = tempDir(t);
    const manifestFile = writeAutoencoderManifestWithFill(dir, 0);
    const input = join(dir, 'in.csv');
    writeFileSync(input, `${header}\n${[setField(good[0]!, 5, ''), setField(good[1]!, 5, 'NaN'), setField(good[2]!, 5, 'oops')].join('\n')}\n`);
    const result = runCli(['run', input, '-m', manifestFile, '--rejects', join(dir, 'r.csv'), '-q']);
    assert.equal(result.code, 1);
    assert.equal(readCsv(result.stdout).length, 2);
    assert.match(readFileSync(join(dir, 'r.csv'), 'utf8'), /'oops' is not a number/);
  });
});
