/**
 * The overlap lock for scheduled runs: a run that starts while the previous one still holds the lock exits at
 * once (code 75) instead of piling up. A lock left by a process that died is taken over.
 */

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { BatchInferError } from '../errors.js';
import { isProcessAlive } from '../output/write-output.js';

export interface HeldLock {
  file: string;
  /** Whether a dead holder's lock was taken over. */
  wasStale: boolean;
  release(): void;
}

export function acquireLock(file: string): HeldLock {
  const content = `${JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() })}\n`;
  let wasStale = false;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, content, { flag: 'wx' });
      return {
        file,
        wasStale,
        release() {
          try {
            // Only remove the lock if it is still ours.
            if (readFileSync(file, 'utf8') === content) rmSync(file, { force: true });
          } catch {
            // Already gone.
          }
        },
      };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A missing directory or no permission: the lock file cannot be created, as for any output (73).
      if (code !== 'EEXIST') throw new BatchInferError('OUTPUT_UNWRITABLE', `--lock ${file}: ${(error as Error).message}`);
    }
    let holder: { pid?: number; startedAt?: string } = {};
    try {
      holder = JSON.parse(readFileSync(file, 'utf8')) as typeof holder;
    } catch {
      // Unreadable or half-written: treated as stale below only if it has no live pid.
    }
    if (typeof holder.pid === 'number' && holder.pid !== process.pid && isProcessAlive(holder.pid)) {
      throw new BatchInferError('LOCKED', `--lock ${file}: held by pid ${holder.pid} (running since ${holder.startedAt ?? 'an unknown time'}); not starting`);
    }
    // The holder died: remove its lock and try again (if two runs race here, one of them wins the create).
    rmSync(file, { force: true });
    wasStale = true;
  }
  throw new BatchInferError('LOCKED', `--lock ${file}: could not take the lock`);
}
