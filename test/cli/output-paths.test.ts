import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exitStatusOf } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { BIN, MODELS, SNAPSHOT, tempDir } from '../helpers/paths.js';

const AE_MANIFEST = join(MODELS, 'autoencoder.manifest.json');
const snapshotText = readFileSync(SNAPSHOT, 'utf8');
/** The predictions for the fixture, as written to stdout. */
let expected: string | undefined;
function predictions(): string {
  expected ??= runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-q']).stdout;
  return expected;
}

describe('batch-infer run: where outputs land', () => {
  it('refuses an output that is the input reached through a link, and leaves the input alone', (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'd.csv');
    copyFileSync(SNAPSHOT, input);
    symlinkSync('d.csv', join(dir, 'dlink.csv'));
    const result = runCli(['run', join(dir, 'dlink.csv'), '-m', AE_MANIFEST, '-o', input, '-q']);
    assert.equal(result.code, exitStatusOf('USAGE'), result.stderr);
    assert.match(result.stderr, /^batch-infer: --output .*d\.csv: is the same file as the input .*dlink\.csv; refusing to overwrite it\n$/);
    assert.equal(readFileSync(input, 'utf8'), snapshotText);
  });

  it('-o - writes to stdout, not to a file named -', (t) => {
    const dir = tempDir(t);
    const result = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-o', '-', '--rejects', 'r.csv', '-q'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, predictions());
    assert.deepEqual(readdirSync(dir), ['r.csv']);
    const generated = runCli(['generate', '--rows', '3', '-o', '-'], { cwd: dir });
    assert.equal(generated.code, 0, generated.stderr);
    assert.equal(generated.stdout.trimEnd().split('\n').length, 4, 'generate -o - writes the header and 3 rows to stdout');
    assert.deepEqual(readdirSync(dir), ['r.csv']);
  });

  it('writes through a link to a regular file: the target is replaced, the link stays', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'target.csv'), 'old\n');
    symlinkSync('target.csv', join(dir, 'link.csv'));
    const result = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-o', join(dir, 'link.csv'), '-q']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(lstatSync(join(dir, 'link.csv')).isSymbolicLink());
    assert.equal(readlinkSync(join(dir, 'link.csv')), 'target.csv');
    assert.equal(readFileSync(join(dir, 'target.csv'), 'utf8'), predictions());
    assert.deepEqual(readdirSync(dir).sort(), ['link.csv', 'target.csv']);
  });

  it("creates a dangling link's target, beside it in the target's directory", (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'sub'));
    symlinkSync(join('sub', 'new.csv'), join(dir, 'dangling.csv'));
    const result = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-o', join(dir, 'dangling.csv'), '-q']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(lstatSync(join(dir, 'dangling.csv')).isSymbolicLink());
    assert.equal(readFileSync(join(dir, 'sub', 'new.csv'), 'utf8'), predictions());
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['new.csv']);
  });

  it('-o /proc/self/fd/1 (or a link to it) writes to stdout when stdout is a socket or a pipe', (t) => {
    const dir = tempDir(t);
    symlinkSync('/proc/self/fd/1', join(dir, 'my-stdout'));
    for (const target of ['/proc/self/fd/1', join(dir, 'my-stdout')]) {
      // spawnSync gives the child a socket as stdout.
      const socket = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-o', target, '-q']);
      assert.equal(socket.code, 0, socket.stderr);
      assert.equal(socket.stdout, predictions(), target);
      // A shell pipe is a FIFO.
      const piped = execFileSync('sh', ['-c', `"${process.execPath}" "${BIN}" run "${SNAPSHOT}" -m "${AE_MANIFEST}" -q -o "${target}" | cat`], { encoding: 'utf8', maxBuffer: 64 << 20 });
      assert.equal(piped, predictions(), target);
    }
    assert.ok(lstatSync(join(dir, 'my-stdout')).isSymbolicLink());
  });

  it('-o /proc/self/fd/1 writes through to the file when stdout is a regular file', (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'out.txt');
    const fd = openSync(file, 'w');
    let result;
    try {
      result = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-o', '/proc/self/fd/1', '-q'], { stdout: fd });
    } finally {
      closeSync(fd);
    }
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(file, 'utf8'), predictions());
    assert.deepEqual(readdirSync(dir), ['out.txt']);
  });
});

/** A run's files in a temporary directory: input, manifest and model are copies, so that nothing real is at risk. */
function runFiles(dir: string): { input: string; manifest: string; model: string; config: string } {
  const input = join(dir, 'd.csv');
  const model = join(dir, 'model.onnx');
  const manifest = join(dir, 'man.json');
  const config = join(dir, 'cfg.json');
  copyFileSync(SNAPSHOT, input);
  copyFileSync(join(MODELS, 'autoencoder.onnx'), model);
  const json = JSON.parse(readFileSync(AE_MANIFEST, 'utf8')) as { models: { path: string }[] };
  json.models[0]!.path = 'model.onnx';
  writeFileSync(manifest, JSON.stringify(json));
  writeFileSync(config, '{ "workers": 1 }\n');
  return { input, manifest, model, config };
}

describe('batch-infer run and replay: outputs that would destroy a file the run needs', () => {
  const cases: { name: string; args: (f: ReturnType<typeof runFiles>, dir: string) => string[]; message: RegExp }[] = [
    { name: '--rejects onto the manifest', args: (f) => ['--rejects', f.manifest], message: /--rejects .*man\.json: is the same file as --manifest .*man\.json; refusing to overwrite it/ },
    { name: '-o onto the manifest', args: (f) => ['-o', f.manifest], message: /--output .*man\.json: is the same file as --manifest .*man\.json; refusing/ },
    { name: '-o onto a model file', args: (f) => ['-o', f.model], message: /--output .*model\.onnx: is the same file as the model file .*model\.onnx; refusing/ },
    { name: '-o onto the config file', args: (f) => ['--config', f.config, '-o', f.config], message: /--output .*cfg\.json: is the same file as --config .*cfg\.json; refusing/ },
    { name: '--timing-json onto -o', args: (_f, dir) => ['-o', join(dir, 'x.json'), '--timing-json', join(dir, 'x.json')], message: /--timing-json .*x\.json: is the same file as --output .*x\.json$/m },
    { name: '--rejects onto -o', args: (_f, dir) => ['-o', join(dir, 'same.csv'), '--rejects', join(dir, 'same.csv')], message: /--rejects .*same\.csv: is the same file as --output .*same\.csv$/m },
    { name: '--lock onto the input', args: (f) => ['--lock', f.input], message: /--lock .*d\.csv: is the same file as the input .*d\.csv; refusing/ },
  ];
  for (const c of cases) {
    it(`run refuses ${c.name} in one line, exit 64 (usage), before reading a row, and changes no file`, (t) => {
      const dir = tempDir(t);
      const files = runFiles(dir);
      const before = new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name))]));
      const result = runCli(['run', files.input, '-m', files.manifest, ...c.args(files, dir)]);
      assert.equal(result.code, exitStatusOf('USAGE'), result.stderr);
      assert.match(result.stderr, c.message);
      assert.equal(result.stderr.split('\n').length, 2, result.stderr);
      assert.equal(result.stdout, '');
      assert.deepEqual(readdirSync(dir).sort(), [...before.keys()].sort());
      for (const [name, bytes] of before) assert.ok(readFileSync(join(dir, name)).equals(bytes), `${name} changed`);
    });
  }

  it('replay refuses an --out-dir output that is one of its inputs, and --timing-json onto the journal', (t) => {
    const dir = tempDir(t);
    const files = runFiles(dir);
    mkdirSync(join(dir, 'in'));
    const first = join(dir, 'in', 'snap-2026-11-30T10-00.csv');
    const second = join(dir, 'in', 'snap-2026-11-30T10-00.out.csv');
    copyFileSync(files.input, first);
    copyFileSync(files.input, second);
    const intoInputs = runCli(['replay', join(dir, 'in'), '-m', files.manifest, '--out-dir', join(dir, 'in'), '-q']);
    assert.equal(intoInputs.code, exitStatusOf('USAGE'), intoInputs.stderr);
    assert.match(intoInputs.stderr, /^batch-infer: --out-dir .*snap-2026-11-30T10-00\.out\.csv: is the same file as the input .*snap-2026-11-30T10-00\.out\.csv; refusing to overwrite it\n$/);
    assert.equal(readFileSync(second, 'utf8'), snapshotText);
    const journal = join(dir, 'out', 'replay-journal.ndjson');
    const onJournal = runCli(['replay', first, '-m', files.manifest, '--out-dir', join(dir, 'out'), '--timing-json', journal, '-q']);
    assert.equal(onJournal.code, exitStatusOf('USAGE'), onJournal.stderr);
    assert.match(onJournal.stderr, /^batch-infer: --timing-json .*replay-journal\.ndjson: is the same file as --out-dir .*replay-journal\.ndjson\n$/);
    const onManifest = runCli(['replay', first, '-m', files.manifest, '--out-dir', join(dir, 'out'), '--timing-json', files.manifest, '-q']);
    assert.equal(onManifest.code, exitStatusOf('USAGE'), onManifest.stderr);
    assert.match(onManifest.stderr, /--timing-json .*man\.json: is the same file as --manifest/);
  });
});

describe('batch-infer run and replay: --timing-json', () => {
  it('a --timing-json in a missing directory stops run and replay before any row, with nothing written', (t) => {
    const dir = tempDir(t);
    const timing = join(dir, 'nodir', 't.json');
    const run = runCli(['run', SNAPSHOT, '-m', AE_MANIFEST, '-o', join(dir, 'p.csv'), '--timing-json', timing, '-q']);
    assert.equal(run.code, exitStatusOf('OUTPUT_UNWRITABLE'), run.stderr);
    assert.match(run.stderr, /^batch-infer: --timing-json .*t\.json: no such directory\n$/);
    const replay = runCli(['replay', SNAPSHOT, '-m', AE_MANIFEST, '--out-dir', join(dir, 'out'), '--timing-json', timing, '-q']);
    assert.equal(replay.code, exitStatusOf('OUTPUT_UNWRITABLE'), replay.stderr);
    assert.match(replay.stderr, /^batch-infer: --timing-json .*t\.json: no such directory\n$/);
    assert.deepEqual(readdirSync(dir), []);
  });
});
