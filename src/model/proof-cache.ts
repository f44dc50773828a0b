/**
 * Where proofs keep their verdicts (the compiled engine's, compiled/prove-engine.ts, and the flushed weights',
 * prove-flush.ts): one directory, files named by the model's SHA-256, written atomically. A cache that cannot be
 * written only costs the next run the same proof.
 */

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/**
 * Where proofs are cached. An empty variable counts as unset, and XDG_CACHE_HOME only when absolute (as the XDG
 * spec says): otherwise the cache would land in whatever directory the job runs in.
 */
export function proofCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BATCH_INFER_CACHE_DIR !== undefined && env.BATCH_INFER_CACHE_DIR !== '') return resolve(env.BATCH_INFER_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'batch-infer');
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The cache file for the model bytes with this SHA-256: `<sha256>-<suffix>`, the suffix naming the proof, its version and kind. */
export function proofFile(sha: string, suffix: string): string {
  return join(proofCacheDir(), 'proofs', `${sha}-${suffix}`);
}

/** A cached file's bytes, or undefined when it is missing or unreadable. */
export function readProofFile(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** A cached verdict's JSON, or undefined when it is missing, unreadable or not JSON (its fields are the caller's to check). */
export function readProofJson(file: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes a cache file atomically (a reader never sees half of it), creating the directory; false when it cannot. */
export function writeProofFile(file: string, data: string | Uint8Array): boolean {
  try {
    makeDirectories(dirname(file));
    writeFileSync(`${file}.${process.pid}.tmp`, data);
    renameSync(`${file}.${process.pid}.tmp`, file);
    return true;
  } catch {
    return false;
  }
}

/** `mkdir -p` one level at a time: Node 20's `{ recursive: true }` can spin for ever on a path under /proc. */
function makeDirectories(path: string): void {
  const missing: string[] = [];
  for (let at = resolve(path); !existsSync(at) && dirname(at) !== at; at = dirname(at)) missing.unshift(at);
  for (const directory of missing) mkdirSync(directory);
}
