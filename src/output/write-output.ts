/**
 * Where predictions and rejects go. A file is written under a temporary name beside its destination and
 * renamed into place only when complete, so that a reader never sees half a file; on failure the temporary
 * file is removed. A destination that is a symbolic link is written through: the file it points at is
 * replaced, the link stays.
 */

import { closeSync, fstatSync, openSync, readdirSync, renameSync, rmSync, writeSync, writevSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BatchInferError } from '../errors.js';
import { realDestination, statIfAny } from './output-paths.js';
import { markStdoutAsData } from './standard-streams.js';

export interface OutputSink {
  /** Writes bytes, waiting when the destination is slow (backpressure). */
  write(bytes: Uint8Array | string): Promise<void>;
  /** Finishes: the file appears at its destination. */
  commit(): Promise<void>;
  /** Gives up: nothing appears at the destination. Safe to call more than once. */
  abort(): void;
}

/** The temporary name a file is written under, beside its destination. */
export function temporaryPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/** Temporary files still open, removed on any exit path (see removeTemporaryFiles). */
const temporaryFiles = new Set<string>();

/**
 * Temporary files of dead processes, per directory and per destination name: found with one listing per
 * directory (replay opens two files a snapshot in one directory), removed when that destination is next written.
 */
const staleTemporaryFiles = new Map<string, Map<string, string[]>>();

/** Whether a process exists (EPERM: it does, but is someone else's). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function findStaleTemporaryFiles(directory: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return found;
  }
  for (const name of names) {
    const match = /^\.(.+)\.(\d+)\.[0-9a-z]+\.tmp$/.exec(name);
    if (match === null) continue;
    const pid = Number(match[2]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    found.set(match[1]!, [...(found.get(match[1]!) ?? []), name]);
  }
  return found;
}

/**
 * A run killed with SIGKILL (or by the OOM killer) leaves its temporary file beside the destination: the next
 * write to the same destination removes those whose process is gone, and nothing else. (A process id reused by
 * a live process keeps its file: it cannot be told apart.)
 */
function removeStaleTemporaryFiles(target: string): void {
  const directory = dirname(target);
  let stale = staleTemporaryFiles.get(directory);
  if (stale === undefined) {
    stale = findStaleTemporaryFiles(directory);
    staleTemporaryFiles.set(directory, stale);
  }
  const name = basename(target);
  for (const file of stale.get(name) ?? []) rmSync(join(directory, file), { force: true });
  stale.delete(name);
}

export function removeTemporaryFiles(): void {
  for (const file of temporaryFiles) rmSync(file, { force: true });
  temporaryFiles.clear();
}

export function openStdoutSink(): OutputSink {
  markStdoutAsData();
  let failure: Error | undefined;
  // A reader that goes away (`| head`) closes the pipe: say so in one line rather than crash on EPIPE.
  const onError = (error: Error): void => {
    failure = error;
  };
  process.stdout.on('error', onError);
  const check = (): void => {
    if (failure === undefined) return;
    const reason = (failure as NodeJS.ErrnoException).code === 'EPIPE' ? 'the reader closed the pipe before every row was written' : failure.message;
    throw new BatchInferError('OUTPUT_WRITE_FAILED', `stdout: ${reason}`);
  };
  return {
    async write(bytes) {
      check();
      let isFlowing: boolean;
      try {
        isFlowing = process.stdout.write(bytes);
      } catch (error) {
        failure = error as Error; // A pipe write can fail at once with EPIPE.
        isFlowing = true;
      }
      if (!isFlowing) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            process.stdout.off('drain', done);
            process.stdout.off('error', done);
            resolve();
          };
          process.stdout.once('drain', done);
          process.stdout.once('error', done);
        });
      }
      check();
    },
    async commit() {
      await new Promise<void>((done) => process.stdout.write('', () => done()));
      check();
      process.stdout.off('error', onError);
    },
    abort() {
      process.stdout.off('error', onError);
    },
  };
}

const GATHER_BYTES = 1 << 20;

/** Writes every part, in order, with one writev; a short write (a full disk, a signal) is finished part by part. */
export function writeAllSync(fd: number, parts: readonly Uint8Array[], writev = writevSync, write = writeSync): void {
  let written = writev(fd, parts as Uint8Array[]);
  for (const part of parts) {
    if (written >= part.length) {
      written -= part.length;
      continue;
    }
    for (let at = written; at < part.length; ) at += write(fd, part, at);
    written = 0;
  }
}

function isStdout(kind: Stats): boolean {
  try {
    const stdout = fstatSync(1);
    return stdout.dev === kind.dev && stdout.ino === kind.ino;
  } catch {
    return false;
  }
}

/**
 * A device or a pipe as destination (/dev/null, a FIFO) is written to directly: there is nothing to rename.
 *
 * Writes go to the temporary file with plain synchronous writes of at most ~1 MiB, gathered from the chunks: a
 * snapshot's header and its few chunks then cost one write, and there is no stream machinery per file (replay
 * opens two a minute, and a profile showed that machinery on the main thread).
 */
export function openFileSink(destination: string, flag: string): OutputSink {
  // What a link (/dev/stdout, /proc/self/fd/1, one of the user's) finally points at decides; the link stays.
  const kind = statIfAny(destination);
  if (kind?.isDirectory() === true) throw new BatchInferError('OUTPUT_UNWRITABLE', `${flag} ${destination}: is a directory`);
  // A device or a pipe (/dev/null, a FIFO) is written to as it is: renaming a file over it would replace it.
  const isSpecial = kind !== undefined && !kind.isFile();
  // Our own stdout may be a socket, which cannot be opened by name: write to the descriptor we have.
  if (isSpecial && isStdout(kind)) return openStdoutSink();
  const target = isSpecial ? resolve(destination) : realDestination(destination);
  const temporary = isSpecial ? target : temporaryPathFor(target);
  if (!isSpecial) removeStaleTemporaryFiles(target);
  let fd: number | undefined;
  try {
    // Opened now so that a missing directory or a permission problem is reported before any work.
    fd = openSync(temporary, isSpecial ? 'w' : 'wx');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (error as Error).message;
    throw new BatchInferError('OUTPUT_UNWRITABLE', `${flag} ${destination}: ${reason}`);
  }
  if (!isSpecial) temporaryFiles.add(temporary);
  const fail = (error: Error): never => {
    throw new BatchInferError('OUTPUT_WRITE_FAILED', `${flag} ${destination}: ${error.message.replace(temporary, destination)}`);
  };
  let pending: (Uint8Array | string)[] = [];
  let pendingBytes = 0;
  const flush = (): void => {
    if (pending.length === 0 || fd === undefined) return;
    // One writev, not a concatenation: joining the parts cost a copy into fresh memory (33 ms per 1M rows).
    const parts = pending.map((p) => (typeof p === 'string' ? Buffer.from(p) : p));
    pending = [];
    pendingBytes = 0;
    try {
      writeAllSync(fd, parts);
    } catch (error) {
      fail(error as Error);
    }
  };
  const close = (): void => {
    if (fd === undefined) return;
    const open = fd;
    fd = undefined;
    closeSync(open);
  };
  return {
    async write(bytes) {
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (pendingBytes >= GATHER_BYTES) flush();
    },
    async commit() {
      flush();
      try {
        close();
        if (!isSpecial) renameSync(temporary, target);
      } catch (error) {
        fail(error as Error);
      }
      temporaryFiles.delete(temporary);
    },
    abort() {
      try {
        close();
      } catch {
        // Closing a file we are giving up on: nothing more to do.
      }
      // What went to a device or a pipe cannot be taken back; a temporary file can.
      if (!isSpecial) rmSync(temporary, { force: true });
      temporaryFiles.delete(temporary);
    },
  };
}

/** Removes the file a link points at (or the file itself), if it is a regular one: never a link, never a device. */
export function removeRegularFile(destination: string): void {
  const target = realDestination(destination);
  if (statIfAny(target)?.isFile() === true) rmSync(target, { force: true });
}

/**
 * A rejects file that exists only if there are rejects: the header is held back until a reject follows it.
 * Replay uses it, so that a day of clean snapshots does not cost two extra file operations each; a rejects file
 * left at the destination by an earlier run is removed when this one has none.
 */
export function openLazyFileSink(destination: string, flag: string): OutputSink {
  let held: (Uint8Array | string)[] = [];
  let sink: OutputSink | undefined;
  return {
    async write(bytes) {
      if (sink === undefined && held.length === 0) {
        held.push(bytes);
        return;
      }
      if (sink === undefined) {
        sink = openFileSink(destination, flag);
        for (const part of held) await sink.write(part);
        held = [];
      }
      await sink.write(bytes);
    },
    async commit() {
      if (sink !== undefined) await sink.commit();
      else removeRegularFile(destination);
    },
    abort() {
      sink?.abort();
    },
  };
}

/**
 * --timing-json's file, opened like --output before any row is read (a missing directory or no permission is
 * reported then, not after the predictions were written) and filled in by commitJson when the run is done.
 */
export function openTimingJson(path: string | undefined): OutputSink | undefined {
  return path === undefined ? undefined : openFileSink(path, '--timing-json');
}

export async function commitJson(sink: OutputSink, value: unknown): Promise<void> {
  try {
    await sink.write(`${JSON.stringify(value, null, 2)}\n`);
    await sink.commit();
  } catch (error) {
    sink.abort();
    throw error;
  }
}
