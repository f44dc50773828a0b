import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/...). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = join(ROOT, 'fixtures');
export const MODELS = join(FIXTURES, 'models');
export const SNAPSHOT = join(FIXTURES, 'snapshot.csv');
export const BIN = join(ROOT, 'bin', 'batch-infer.js');

/**
 * Where the spawned CLI caches the compiled engine's proofs (BATCH_INFER_CACHE_DIR): not the user's cache; kept
 * between runs, so that only the first test with a new model pays its proof.
 */
export const TEST_CACHE_DIR = join(tmpdir(), 'batch-infer-test-cache');

/** A fresh temporary directory, removed when the test ends. */
export function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'batch-infer-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
