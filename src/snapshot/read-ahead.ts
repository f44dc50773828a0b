/**
 * Opens a snapshot and cuts it into chunks. While the workers load their models, it reads and cuts ahead (the
 * header first, then up to a budget): on a fresh run that wait is longer than reading and cutting a 100k-row
 * snapshot. The chunks cut ahead come first, then the rest as it is read.
 */

import { openInput, type OpenedInput } from '../input/read-input.js';
import { RecordSplitter, type RawChunk } from '../input/split-records.js';
import { flagFile, refuseSharedFiles } from '../output/output-paths.js';
import { balancedChunkRows, estimateRows } from './balanced-chunks.js';
import type { SnapshotOptions } from './snapshot-options.js';

/** Input read and cut ahead while the pool starts, at most. */
const READ_AHEAD_BYTES = 16 << 20;

export interface SnapshotReader {
  input: OpenedInput;
  /** Its header (CSV), header line and chunk size are known once readAhead returns. */
  splitter: RecordSplitter;
  /** Every chunk in input order, until the input ends or `isStopped` says so. */
  chunks: (isStopped: () => boolean) => AsyncGenerator<RawChunk>;
}

type ReadOptions = Pick<SnapshotOptions, 'input' | 'output' | 'rejects' | 'chunkSize' | 'balanceFor' | 'maxRecordBytes'>;

export async function readAhead(options: ReadOptions, poolStarting: Promise<unknown> | unknown): Promise<SnapshotReader> {
  const input = await openInput(options.input);
  if (input.path !== undefined) {
    refuseSharedFiles([...flagFile('--output', options.output), ...flagFile('--rejects', options.rejects)], [{ name: `the input ${input.path}`, path: input.path }]);
  }
  const splitter = new RecordSplitter({ format: input.format, chunkRows: options.chunkSize, hasHeader: input.format === 'csv', maxRecordBytes: options.maxRecordBytes });
  const source = input.bytes[Symbol.asyncIterator]();
  const early: RawChunk[] = [];
  let isInputDone = false;
  let isPoolReady = false;
  const poolReady = Promise.resolve(poolStarting).then(() => {
    isPoolReady = true;
  });
  poolReady.catch(() => undefined); // Awaited by the caller; a failed start is reported from there.
  let pending: Promise<IteratorResult<Uint8Array>> | undefined;
  let earlyBytes = 0;
  const isHeaderRead = (): boolean => input.format !== 'csv' || splitter.header !== undefined;
  while (!isInputDone && (!isHeaderRead() || (!isPoolReady && earlyBytes < READ_AHEAD_BYTES))) {
    pending ??= source.next();
    const next = isHeaderRead() ? await Promise.race([pending, poolReady.then(() => undefined)]) : await pending;
    if (next === undefined) break; // The pool is ready; the read under way is taken up by chunks().
    pending = undefined;
    if (next.done) {
      early.push(...splitter.end());
      isInputDone = true;
      break;
    }
    if (earlyBytes === 0 && options.balanceFor !== undefined && input.sizeBytes !== undefined && !input.isGzip) {
      const rows = estimateRows(next.value, input.sizeBytes);
      if (rows !== undefined) splitter.chunkRows = balancedChunkRows(rows, options.balanceFor, options.chunkSize);
    }
    early.push(...splitter.push(next.value));
    earlyBytes += next.value.length;
  }
  async function* chunks(isStopped: () => boolean): AsyncGenerator<RawChunk> {
    for (const chunk of early) if (!isStopped()) yield chunk;
    while (!isInputDone && !isStopped()) {
      const next = await (pending ?? source.next());
      pending = undefined;
      if (next.done) break;
      for (const chunk of splitter.push(next.value)) if (!isStopped()) yield chunk;
    }
    if (!isInputDone && !isStopped()) yield* splitter.end();
  }
  return { input, splitter, chunks };
}
