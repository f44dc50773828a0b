import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRandom } from '../../src/synth/apm-snapshot.js';
import { ROOT } from './paths.js';

/** The seed `npm test` uses when FUZZ_SEED is not set: a fixed one, so that the suite is repeatable. */
const DEFAULT_SEED = 20261130;

export interface FuzzSettings {
  seed: number;
  /** The case numbers to run: 0..FUZZ_CASES-1, or only FUZZ_CASE when it is set (to reproduce a failure). */
  cases: number[];
  /** Whether every case runs, so that a test may check what the cases covered together. */
  isFullRun: boolean;
}

function readInteger(name: string, fallback: number, minimum: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < minimum) throw new Error(`${name} must be an integer of at least ${minimum}, got '${text}'`);
  return value;
}

/** The seeded tests' settings, from FUZZ_SEED, FUZZ_CASES (default `defaultCases`) and FUZZ_CASE. */
export function readFuzzSettings(defaultCases: number): FuzzSettings {
  const seed = readInteger('FUZZ_SEED', DEFAULT_SEED, 0);
  const count = readInteger('FUZZ_CASES', defaultCases, 1);
  const only = readInteger('FUZZ_CASE', -1, 0);
  if (only >= 0) return { seed, cases: [only], isFullRun: false };
  return { seed, cases: Array.from({ length: count }, (_, n) => n), isFullRun: true };
}

/** Case n's own random source: a case replays alone, whatever ran before it. */
export function createCaseRandom(seed: number, n: number): () => number {
  return createRandom((seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0);
}

/** Names a failed case and the command that replays it alone; `testUrl` is the test file's import.meta.url. */
export function describeReproduction(settings: FuzzSettings, n: number, testUrl: string): string {
  const file = relative(ROOT, fileURLToPath(testUrl));
  return `seed ${settings.seed}, case ${n}; reproduce: npm run build && FUZZ_SEED=${settings.seed} FUZZ_CASE=${n} node --test ${file}`;
}
