#!/usr/bin/env node
// Real server metrics through the fast CSV path: NAB series (../shared/data/nab, not in this repository) turned
// into rows of 14 consecutive values, written three ways (plain, every field quoted, a space after each comma),
// each scored with --parser fast and --parser reference. Prints the workers' parse time of each and whether the
// two parsers' outputs are byte-identical. A benchmark, not a test; it says so and exits 0 when the data is absent.
// Usage: node bench/nab.mjs [--nab DIR]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const nab = args.includes('--nab') ? args[args.indexOf('--nab') + 1] : join(root, '..', 'shared', 'data', 'nab');
const source = join(nab, 'realAWSCloudwatch');
if (!existsSync(source)) {
  console.log(`bench/nab: skipped, no NAB data at ${nab} (pass --nab DIR)`);
  process.exit(0);
}
const WIDTH = 14;
const rows = [];
for (const file of readdirSync(source).filter((f) => f.endsWith('.csv')).sort().slice(0, 6)) {
  const values = readFileSync(join(source, file), 'utf8').trim().split('\n').slice(1).map((line) => line.split(','));
  for (let i = WIDTH; i < values.length; i++) rows.push([values[i][0], file.replace(/\.csv$/, ''), ...values.slice(i - WIDTH, i).map((v) => v[1])]);
}
const header = ['timestamp', 'target', ...Array.from({ length: WIDTH }, (_, k) => `v${k}`)];
const work = mkdtempSync(join(tmpdir(), 'batch-infer-nab-'));
const base = JSON.parse(readFileSync(join(root, 'fixtures/models/autoencoder.manifest.json'), 'utf8'));
const manifest = { ...base, passthrough: ['timestamp', 'target'], models: [{ ...base.models[0], path: join(root, 'fixtures/models', base.models[0].path), inputs: [{ ...base.models[0].inputs[0], columns: header.slice(2) }] }] };
writeFileSync(join(work, 'manifest.json'), JSON.stringify(manifest));
const variants = {
  plain: (fields) => fields.join(','),
  'every field quoted': (fields) => fields.map((f) => `"${f}"`).join(','),
  'a space after each comma': (fields) => fields.join(', '),
};
console.log(`bench/nab: ${rows.length} rows of ${WIDTH} values from ${source}`);
for (const [name, line] of Object.entries(variants)) {
  const input = join(work, 'in.csv');
  writeFileSync(input, `${header.join(',')}\n${rows.map(line).join('\n')}\n`);
  const parse = {};
  const outputs = {};
  for (const parser of ['fast', 'reference']) {
    const out = join(work, `${parser}.csv`);
    const timing = join(work, `${parser}.json`);
    const run = spawnSync(process.execPath, [join(root, 'bin', 'batch-infer.js'), 'run', input, '-m', join(work, 'manifest.json'), '--parser', parser, '-o', out, '--timing-json', timing, '-q'], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`${name}, --parser ${parser}: ${run.stderr}`);
    parse[parser] = JSON.parse(readFileSync(timing, 'utf8')).parseMs;
    outputs[parser] = readFileSync(out);
  }
  console.log(`${name}: parse ${parse.fast.toFixed(0)} ms fast, ${parse.reference.toFixed(0)} ms reference; outputs ${outputs.fast.equals(outputs.reference) ? 'identical' : 'DIFFER'}`);
}
rmSync(work, { recursive: true, force: true });
