import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BatchInferError, exitStatusOf } from '../../src/errors.js';
import { realDestination, refuseSharedFiles } from '../../src/output/output-paths.js';

/** A fresh directory under its real path (tmpdir() may itself be a link), removed when the test ends. */
function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'bi-paths-')));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function refusal(pattern: RegExp) {
  return (error: unknown) => error instanceof BatchInferError && error.code === 'USAGE' && error.exitCode === exitStatusOf('USAGE') && pattern.test(error.message);
}

describe('realDestination', () => {
  it('follows a link to an existing file, and links to links', (t) => {
    const dir = scratch(t);
    writeFileSync(join(dir, 'data.csv'), 'a\n');
    symlinkSync('data.csv', join(dir, 'link.csv'));
    symlinkSync(join(dir, 'link.csv'), join(dir, 'link2.csv'));
    assert.equal(realDestination(join(dir, 'link.csv')), join(dir, 'data.csv'));
    assert.equal(realDestination(join(dir, 'link2.csv')), join(dir, 'data.csv'));
  });

  it('gives a file not there yet under the real path of its directory', (t) => {
    const dir = scratch(t);
    mkdirSync(join(dir, 'real'));
    symlinkSync('real', join(dir, 'dirlink'));
    assert.equal(realDestination(join(dir, 'dirlink', 'new.csv')), join(dir, 'real', 'new.csv'));
  });

  it("follows a dangling link to where its target would be created", (t) => {
    const dir = scratch(t);
    mkdirSync(join(dir, 'real'));
    symlinkSync(join('real', 'later.csv'), join(dir, 'dangling.csv'));
    assert.equal(realDestination(join(dir, 'dangling.csv')), join(dir, 'real', 'later.csv'));
  });

  it('leaves a path in a missing directory as given, for opening it to report', (t) => {
    const dir = scratch(t);
    assert.equal(realDestination(join(dir, 'nodir', 't.json')), join(dir, 'nodir', 't.json'));
  });
});

describe('refuseSharedFiles', () => {
  it('refuses an output that is the input through a link, naming both', (t) => {
    const dir = scratch(t);
    writeFileSync(join(dir, 'd.csv'), 'a\n');
    symlinkSync('d.csv', join(dir, 'dlink.csv'));
    assert.throws(
      () => refuseSharedFiles([{ name: '--output d.csv', path: join(dir, 'd.csv') }], [{ name: 'the input dlink.csv', path: join(dir, 'dlink.csv') }]),
      refusal(/^--output d\.csv: is the same file as the input dlink\.csv; refusing to overwrite it$/),
    );
  });

  it('refuses two outputs that land on one file, existing or not', (t) => {
    const dir = scratch(t);
    const writes = [
      { name: '--output same.csv', path: join(dir, 'same.csv') },
      { name: '--rejects same.csv', path: join(dir, 'same.csv') },
    ];
    assert.throws(() => refuseSharedFiles(writes, []), refusal(/^--rejects same\.csv: is the same file as --output same\.csv$/));
  });

  it('lets outputs share a device, and reads share anything', (t) => {
    const dir = scratch(t);
    writeFileSync(join(dir, 'm.json'), '{}');
    assert.doesNotThrow(() =>
      refuseSharedFiles(
        [
          { name: '--output /dev/null', path: '/dev/null' },
          { name: '--rejects /dev/null', path: '/dev/null' },
          { name: '--output out.csv', path: join(dir, 'out.csv') },
        ],
        [
          { name: '--manifest m.json', path: join(dir, 'm.json') },
          { name: '--config m.json', path: join(dir, 'm.json') },
        ],
      ),
    );
  });
});
