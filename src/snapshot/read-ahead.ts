/**
 * Opens a snapshot and cuts it into chunks. While the workers load their models, it reads and cuts ahead (the
 * header first, then up to a budget): on a fresh run that wait is longer than reading and cutting a 100k-row
 * snapshot. The chunks cut ahead come first, then the rest as it is read.
 */

import { openInput, type OpenedInput } from '../input/read-input.js';
import type { RawChunk } from '../input/raw-chunk.js';
import { RecordSplitter } from '../input/split-records.js';
import { flagFile, refuseSharedFiles } from '../output/output-paths.js';
import { balancedChunkRows, ESTIMATE_BYTES, estimateRows } from './balanced-chunks.js';
import type { SnapshotOptions } from './snapshot-options.js';

/** Input read and cut ahead while the pool starts, at most. */
const READ_AHEAD_BYTES = 16 << 20;
/**
 * When input pauses this long (a stream on stdin between bursts), the complete records read so far are handed
 * out as a chunk rather than held back until chunkRows of them arrive.
 */
export const INPUT_PAUSE_MS = 150;

/** What can stop reading before the input ends. */
export interface ReadStops {
  /** An interrupt: nothing more is handed out. */
  isStopped: () => boolean;
  /**
   * Resolves when reading must end now: on an interrupt, or a deadline in 'abort' mode (then the records read so
   * far are handed out, to become rejects with the reason, and the rest of the input is left unread).
   */
  cut?: Promise<unknown>;
}

export interface SnapshotReader {
  input: OpenedInput;
  /** Its header (CSV), header line and chunk size are known once readAhead returns. */
  splitter: RecordSplitter;
  /** Every chunk in input order, until the input ends or a stop says so. */
  chunks: (stops: ReadStops) => AsyncGenerator<RawChunk>;
  /** Set when reading was cut before the input ended: how many (compressed) bytes had been read. */
  readonly cutAtBytes: number | undefined;
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
  /** Input bytes handed to the splitter: a read that lost the race with the cut is not among them. */
  let fedBytes = 0;
  const isHeaderRead = (): boolean => input.format !== 'csv' || splitter.header !== undefined;
  // Chunks balanced over the workers need the input's rows, estimated from its first ESTIMATE_BYTES: the pieces
  // are held until then (or the input ends), and the splitter takes its chunk size before the first of them.
  const balanceFor = options.balanceFor !== undefined && input.sizeBytes !== undefined && !input.isGzip ? options.balanceFor : undefined;
  const held: Uint8Array[] = [];
  let isHolding = true;
  const pushHeld = (): void => {
    if (balanceFor !== undefined && held.length > 0) {
      const rows = estimateRows(held, input.sizeBytes!);
      if (rows !== undefined) splitter.chunkRows = balancedChunkRows(rows, balanceFor, options.chunkSize);
    }
    for (const piece of held.splice(0)) {
      early.push(...splitter.push(piece));
      fedBytes += piece.length;
    }
    isHolding = false;
  };
  while (!isInputDone && (isHolding || !isHeaderRead() || (!isPoolReady && earlyBytes < READ_AHEAD_BYTES))) {
    pending ??= source.next();
    // Pieces held for the estimate are read to the end of it before anything else.
    const next = isHeaderRead() && !isHolding ? await Promise.race([pending, poolReady.then(() => undefined)]) : await pending;
    if (next === undefined) break; // The pool is ready; the read under way is taken up by chunks().
    pending = undefined;
    if (next.done) {
      pushHeld();
      early.push(...splitter.end());
      isInputDone = true;
      break;
    }
    earlyBytes += next.value.length;
    if (isHolding) {
      held.push(next.value);
      // Without balancing nothing is estimated: the first piece goes to the splitter at once.
      if (balanceFor === undefined || earlyBytes >= ESTIMATE_BYTES) pushHeld();
      continue;
    }
    early.push(...splitter.push(next.value));
    fedBytes += next.value.length;
  }
  let cutAtBytes: number | undefined;
  const CUT = Symbol('cut');
  const PAUSE = Symbol('pause');
  /** The next piece of input, or why waiting for it ended first. */
  const nextPiece = async (cut: Promise<unknown> | undefined, canPause: boolean): Promise<IteratorResult<Uint8Array> | typeof CUT | typeof PAUSE> => {
    pending ??= source.next();
    let timer: NodeJS.Timeout | undefined;
    const waits: Promise<IteratorResult<Uint8Array> | typeof CUT | typeof PAUSE>[] = [pending];
    if (canPause) waits.push(new Promise<typeof PAUSE>((resolve) => (timer = setTimeout(() => resolve(PAUSE), INPUT_PAUSE_MS))));
    if (cut !== undefined) waits.push(cut.then(() => CUT));
    try {
      const next = await Promise.race(waits);
      if (next !== PAUSE && next !== CUT) pending = undefined;
      return next;
    } finally {
      clearTimeout(timer);
    }
  };
  // Only a stream can pause: a file's chunks stay the same from run to run.
  const canPause = input.path === undefined;
  async function* chunks({ isStopped, cut }: ReadStops): AsyncGenerator<RawChunk> {
    for (const chunk of early) if (!isStopped()) yield chunk;
    while (!isInputDone && !isStopped()) {
      const next = await nextPiece(cut, canPause);
      if (next === PAUSE) {
        if (!isStopped()) yield* splitter.cutCompleteRecords();
        continue;
      }
      if (next === CUT) {
        if (!isStopped()) {
          // The complete records already read are handed out (they become deadline rejects); the cut is reported
          // at the end of the last of them, so the offset is where a rerun could resume.
          yield* splitter.cutCompleteRecords();
          cutAtBytes = fedBytes - splitter.partialRecordBytes;
        }
        // Stops reading: a stalled stdin would otherwise keep the process alive until its writer closes it.
        input.close();
        break;
      }
      if (next.done) break;
      fedBytes += next.value.length;
      for (const chunk of splitter.push(next.value)) if (!isStopped()) yield chunk;
    }
    // After a cut, a record the read stopped inside is part of the unread rest, not a row.
    if (!isInputDone && !isStopped() && cutAtBytes === undefined) yield* splitter.end();
  }
  return {
    input,
    splitter,
    chunks,
    get cutAtBytes() {
      return cutAtBytes;
    },
  };
}
