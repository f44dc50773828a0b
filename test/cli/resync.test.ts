import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exitStatusOf } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { readCsv } from '../helpers/golden.js';
import { MODELS, tempDir } from '../helpers/paths.js';

/** The classifier (6 float features) on columns a-f, with id and name passed through. */
function writeManifest(dir: string): string {
  const file = join(dir, 'm.json');
  const manifest = {
    version: 1,
    passthrough: ['id', 'name'],
    models: [{ name: 'm', path: join(MODELS, 'classifier.onnx'), inputs: [{ name: 'features', columns: ['a', 'b', 'c', 'd', 'e', 'f'] }], outputs: [{ name: 'probabilities', columns: ['p0', 'p1'] }] }],
  };
  writeFileSync(file, JSON.stringify(manifest));
  return file;
}

const HEADER = 'id,name,a,b,c,d,e,f';
const row = (i: number): string => `${i},n${i},${i % 7},${i % 11},${i % 13},1,2,3`;
const rows = (from: number, count: number): string => Array.from({ length: count }, (_, k) => `${row(from + k)}\n`).join('');

interface Run {
  code: number | null;
  stderr: string;
  output: string;
  rejectsText: string;
  rejects: Record<string, string>[];
  outputRows: Record<string, string>[];
}

/** Runs `run` on `content` and checks that every row read was written or rejected. */
function run(t: { after: (fn: () => void) => void }, content: string | Buffer, extra: string[] = []): Run {
  const dir = tempDir(t);
  const input = join(dir, 'in.csv');
  writeFileSync(input, content);
  const rejectsFile = join(dir, 'rejects.csv');
  const timingFile = join(dir, 't.json');
  const result = runCli(['run', input, '-m', writeManifest(dir), '--rejects', rejectsFile, '--timing-json', timingFile, '-q', ...extra]);
  if (result.code !== 0 && result.code !== 1) return { code: result.code, stderr: result.stderr, output: '', rejectsText: '', rejects: [], outputRows: [] };
  const timing = JSON.parse(readFileSync(timingFile, 'utf8')) as Record<string, number>;
  let rejectsText = '';
  try {
    rejectsText = readFileSync(rejectsFile, 'utf8');
  } catch {
    // No rejects: no file.
  }
  const rejects = rejectsText === '' ? [] : readCsv(rejectsText);
  const outputRows = readCsv(result.stdout);
  assert.equal(timing.rows, outputRows.length + rejects.length, 'rows in = out + rejected');
  assert.equal(timing.rowsOut, outputRows.length);
  assert.equal(timing.rowsRejected, rejects.length);
  return { code: result.code, stderr: result.stderr, output: result.stdout, rejectsText, rejects, outputRows };
}

describe('resynchronising after a stray quote, and headers the splitter used to misread', () => {
  it('an unclosed quote that runs past --max-line-bytes costs only its own line: the 200,000 rows after it are scored', (t) => {
    const content = `${HEADER}\n${row(1)}\n2,"unclosed,1,2,3,4,5,6\n${rows(3, 200_000)}`;
    const first = run(t, content);
    assert.equal(first.code, 1, first.stderr);
    assert.equal(first.outputRows.length, 200_001);
    assert.equal(first.rejects.length, 1);
    assert.equal(first.rejects[0]!.line, '3');
    assert.match(first.rejects[0]!.reason!, /^unclosed quote on line 3: no closing quote within --max-line-bytes \(1048576 bytes\)/);
    assert.equal(first.rejects[0]!.record, '2,"unclosed,1,2,3,4,5,6');
    assert.equal(first.outputRows[1]!.id, '3');
    assert.equal(first.outputRows.at(-1)!.id, '200002');
    for (const extra of [['--max-line-bytes', '100'], ['--chunk-size', '1000'], ['--parser', 'reference'], ['--workers', '1', '--chunk-size', '777', '--parser', 'reference']]) {
      const other = run(t, content, extra);
      assert.equal(other.code, 1, other.stderr);
      assert.equal(other.output, first.output, extra.join(' '));
      assert.equal(other.rejectsText, extra[0] === '--max-line-bytes' ? first.rejectsText.replace('1048576', '100') : first.rejectsText, extra.join(' '));
    }
  });

  it('a quote still open at the end of the input costs only its own line', (t) => {
    const content = `${HEADER}\n${rows(1, 30)}x,"open,1,2,3,4,5,6\n${rows(31, 30)}`;
    const outputs = new Set<string>();
    for (const extra of [[], ['--parser', 'reference'], ['--chunk-size', '7', '--workers', '1']]) {
      const result = run(t, content, extra);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.outputRows.length, 60);
      assert.deepEqual(
        result.rejects.map((r) => [r.line, r.record]),
        [['32', 'x,"open,1,2,3,4,5,6']],
      );
      assert.match(result.rejects[0]!.reason!, /^unclosed quote on line 32: the input ends before the closing quote/);
      outputs.add(result.output + result.rejectsText);
    }
    assert.equal(outputs.size, 1, 'the same output whatever the parser and chunk size');
  });

  it('a multi-line quoted field longer than the limit: its first line is rejected, its later lines are read as records', (t) => {
    const content = `${HEADER}\n${row(1)}\n2,"line one\nline two\nline three",1,2,3,4,5,6\n${row(3)}\n4,"a\nb",1,2,3,4,5,6\n${row(5)}\n`;
    const result = run(t, content, ['--max-line-bytes', '30']);
    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(
      result.outputRows.map((r) => r.id),
      ['1', '3', '4', '5'],
    );
    assert.deepEqual(
      result.rejects.map((r) => r.line),
      ['3', '4', '5'],
    );
    assert.match(result.rejects[0]!.reason!, /^unclosed quote on line 3/);
    assert.match(result.rejects[1]!.reason!, /expected 8 fields, got 1/);
    // The closing quote now opens a field, which the end of that line leaves open.
    assert.match(result.rejects[2]!.reason!, /^unclosed quote on line 5/);
  });

  it('a header line with bare CR line ends is refused with exit 65 (data), instead of dropping the rows after it', (t) => {
    for (const content of [`${HEADER}\r${row(1)}\r${row(2)}\r`, `${HEADER}\r${row(1)}\r${row(2)}\r\r\n${row(3)}\n`]) {
      const result = run(t, content);
      assert.equal(result.code, exitStatusOf('INPUT_HEADER'), result.stderr);
      assert.match(result.stderr, /in\.csv: line 1, column 8: bare CR line ends are not supported \(LF or CRLF\)/);
      assert.equal(result.stderr.trim().split('\n').length, 1);
    }
    // CRLF and a last header line ended by CR alone stay fine.
    assert.equal(run(t, `${HEADER}\r\n${row(1)}\r\n`).code, 0);
    assert.equal(run(t, `${HEADER}\r`).code, 0);
  });

  it('blank lines before the header are skipped, and line numbers still count them', (t) => {
    const result = run(t, `\n\r\n\n${HEADER}\n${row(1)}\n2,y,x,1,2,3,4,5\n${row(3)}\n`);
    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(
      result.outputRows.map((r) => r.id),
      ['1', '3'],
    );
    assert.deepEqual(
      result.rejects.map((r) => [r.line, r.reason]),
      [['6', "column 'a': 'x' is not a number"]],
    );
    const missing = run(t, `\n\n${HEADER.replace(',f', ',g')}\n${row(1)}\n`);
    assert.equal(missing.code, exitStatusOf('INPUT_HEADER'), missing.stderr);
    assert.match(missing.stderr, /in\.csv: line 3: column 'f' \(input 'features' of model m\) is not in the header/);
  });
});
