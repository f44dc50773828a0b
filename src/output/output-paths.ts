/**
 * Where an output really lands, and the check that no output lands on a file the run reads or on another
 * output. Paths are compared after following symbolic links: a link to the input is the input.
 */

import { lstatSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BatchInferError } from '../errors.js';
import type { Manifest } from '../model/manifest.js';

/** Links followed before giving up, as the kernel does (ELOOP). */
const MAX_LINKS = 40;

/** What is at `path`, links followed; undefined when nothing can be seen there (missing, a link loop, no access). */
export function statIfAny(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/**
 * The file a write to `path` ends in: an existing file's real path; for a file not there yet, or a dangling
 * link, the real path of the directory it would be created in plus its name. A missing directory is left as
 * given: opening the file reports it. `realDirectories` caches directories' real paths across calls (replay
 * checks a day's 2,880 outputs in one directory).
 */
export function realDestination(path: string, realDirectories = new Map<string, string>()): string {
  let target = resolve(path);
  for (let links = 0; links < MAX_LINKS; links++) {
    if (statIfAny(target) !== undefined) return realPathOr(target, target);
    if (lstatSync(target, { throwIfNoEntry: false })?.isSymbolicLink() !== true) break;
    target = resolve(dirname(target), readlinkSync(target));
  }
  const directory = dirname(target);
  let realDirectory = realDirectories.get(directory);
  if (realDirectory === undefined) {
    realDirectory = statIfAny(directory) === undefined ? directory : realPathOr(directory, directory);
    realDirectories.set(directory, realDirectory);
  }
  return join(realDirectory, basename(target));
}

/** The real path (one realpath(3) call), or `fallback` where there is none: /proc/self/fd/1 on a pipe names no path. */
function realPathOr(path: string, fallback: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return fallback;
  }
}

/** A file the run reads or writes, and how a message names it ('--output out.csv', 'the input d.csv'). */
export interface NamedFile {
  name: string;
  path: string;
}

/**
 * Throws a one-line usage error when an output is a file the run reads (input, manifest, model, config) or
 * another output: writing it would destroy the one or lose the other. Only regular files (or files not there
 * yet) count: two outputs to /dev/null, or an input read from a pipe, share nothing.
 */
export function refuseSharedFiles(writes: readonly NamedFile[], reads: readonly NamedFile[]): void {
  const claimed = new Map<string, { file: NamedFile; isRead: boolean }>();
  const realDirectories = new Map<string, string>();
  const claim = (file: NamedFile, isRead: boolean): void => {
    const kind = statIfAny(file.path);
    if (kind !== undefined && !kind.isFile()) return;
    const real = kind === undefined ? realDestination(file.path, realDirectories) : realPathOr(file.path, resolve(file.path));
    const other = claimed.get(real);
    if (other === undefined) {
      claimed.set(real, { file, isRead });
      return;
    }
    // Reads are claimed first, so `other` is the read when one of the two is.
    if (isRead) return;
    const why = other.isRead ? '; refusing to overwrite it' : '';
    throw new BatchInferError('USAGE', `${file.name}: is the same file as ${other.file.name}${why}`);
  };
  for (const file of reads) claim(file, true);
  for (const file of writes) claim(file, false);
}

/** A file given with a flag, as refuseSharedFiles takes it; none when the flag is not given. */
export function flagFile(flag: string, path: unknown): NamedFile[] {
  return typeof path === 'string' ? [{ name: `${flag} ${path}`, path }] : [];
}

/** What run and replay read, and so must never write: the inputs, the manifest, every model, the config file. */
export function filesRead(inputs: readonly (string | undefined)[], manifest: Manifest, configFile: string | undefined): NamedFile[] {
  // On the --model quick path the manifest's source is the model file itself.
  const isQuickPath = manifest.models.some((model) => model.path === resolve(manifest.source));
  return [
    ...inputs.flatMap((path) => (path === undefined || path === '-' ? [] : [{ name: `the input ${path}`, path }])),
    ...(isQuickPath ? [] : flagFile('--manifest', manifest.source)),
    ...manifest.models.map((model) => ({ name: `the model file ${model.path}`, path: model.path })),
    ...flagFile('--config', configFile),
  ];
}

/** What run and replay write besides their outputs. */
export function sideFilesWritten(resolved: { timingJson: string | undefined; lock: string | undefined; metricsFile?: string | undefined }): NamedFile[] {
  return [...flagFile('--timing-json', resolved.timingJson), ...flagFile('--lock', resolved.lock), ...flagFile('--metrics-file', resolved.metricsFile)];
}
