/**
 * A whole small snapshot in one worker: read the file, bind the manifest to its header, score it, write its output
 * (temporary file, then rename) and its rejects (only if any), and hash the output for replay's journal.
 *
 * This is the one place a worker writes output. A profile of a day's replay (1,440 files of 2,000 rows) showed the
 * main thread, opening, reading, writing and renaming two files a minute while handing out their chunks, as the
 * limit, with the workers idle a third of the time; here the workers share that file work.
 */

import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { bindPlan } from '../model/bind-plan.js';
import { BatchInferError, describeError } from '../errors.js';
import { decodeHeader } from '../input/read-header.js';
import { formatFromName } from '../input/read-input.js';
import { RecordSplitter } from '../input/split-records.js';
import type { LoadedModel } from '../model/model-session.js';
import { formatOutputHeader, REJECTS_HEADER } from './format/format-rows.js';
import { realDestination } from '../output/output-paths.js';
import { removeRegularFile, temporaryPathFor, writeAllSync } from '../output/write-output.js';
import type { InputFormat } from '../model/scoring-plan.js';
import type { SnapshotFile, SnapshotRefused, SnapshotScored, SnapshotTask } from '../pool/messages.js';
import { rejectChunk, rejectLine } from './reject-chunk.js';
import { scoreChunk } from './score-chunk.js';

/** Writes a file whole under a temporary name beside it, then renames it into place (through a link, beside its target). */
function writeAtomically(destination: string, parts: readonly Uint8Array[]): void {
  const target = realDestination(destination);
  const temporary = temporaryPathFor(target);
  const fd = openSync(temporary, 'wx');
  try {
    writeAllSync(fd, parts);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, target);
}

export async function scoreSnapshotFile(file: SnapshotFile, task: SnapshotTask, models: readonly LoadedModel[]): Promise<SnapshotScored | SnapshotRefused> {
  const start = performance.now();
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file.path);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  } catch (error) {
    return { kind: 'snapshot-refused', ok: true, message: `${file.path}: ${describeError(error)}` };
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 64)).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  const format: InputFormat = task.inputFormat ?? formatFromName(file.path) ?? (text.startsWith('{') ? 'ndjson' : 'csv');
  try {
    const splitter = new RecordSplitter({ format, chunkRows: Number.POSITIVE_INFINITY, hasHeader: format === 'csv', maxRecordBytes: task.maxRecordBytes, isShared: false });
    const chunks = [...splitter.push(bytes), ...splitter.end()];
    const header = format === 'csv' ? decodeHeader(splitter.header, file.path, splitter.headerLine) : undefined;
    const signatures = models.map((m) => m.signature);
    const plan = bindPlan(task.manifest, signatures, { inputFormat: format, outputFormat: task.outputFormat, parser: task.parser, batchRows: task.batchRows, header, headerLine: splitter.headerLine, inputName: file.path });
    const encoder = new TextEncoder();
    const outputs: Uint8Array[] = [encoder.encode(formatOutputHeader(plan.outputColumns, plan.outputFormat))];
    const rejects: Uint8Array[] = [];
    let rows = 0;
    let rowsOut = 0;
    for (const chunk of chunks) {
      const scored =
        chunk.rejected !== undefined
          ? rejectLine(chunk.index, chunk.rejected, task.maxRecordBytes)
          : await scoreChunk(chunk.bytes, chunk.firstLine, plan, models).catch((error: unknown) =>
              rejectChunk(chunk.index, chunk.bytes, chunk.firstLine, format, `scoring failed: ${describeError(error)}`),
            );
      rows += scored.rowsIn;
      rowsOut += scored.rowsOut;
      if (scored.output.length > 0) outputs.push(scored.output);
      if (scored.rejects.length > 0) rejects.push(scored.rejects);
    }
    writeAtomically(file.outputPath, outputs);
    if (rejects.length > 0) writeAtomically(file.rejectsPath, [encoder.encode(REJECTS_HEADER), ...rejects]);
    else removeRegularFile(file.rejectsPath);
    const hash = createHash('sha256');
    for (const part of outputs) hash.update(part);
    return { kind: 'snapshot', ok: true, rows, rowsOut, rowsRejected: rows - rowsOut, outputSha256: hash.digest('hex'), ms: performance.now() - start };
  } catch (error) {
    if (error instanceof BatchInferError) return { kind: 'snapshot-refused', ok: true, message: error.message };
    throw error;
  }
}
