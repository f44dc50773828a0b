/** The header of a CSV snapshot: one CSV record (csv-parse reads it), every column named. */

import { parse as parseCsv } from 'csv-parse/sync';
import { BatchInferError } from '../errors.js';

export function decodeHeader(bytes: Uint8Array | undefined, inputName: string): string[] {
  if (bytes === undefined || bytes.length === 0) throw new BatchInferError('INPUT_HEADER', `${inputName}: empty input, no header line`);
  let names: string[];
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    names = (parseCsv(text, { relax_column_count: true }) as string[][])[0] ?? [];
  } catch (error) {
    throw new BatchInferError('INPUT_HEADER', `${inputName}: line 1: the header is not a CSV record: ${(error as Error).message.replace(/ at line \d+.*$/, '')}`);
  }
  for (const [i, name] of names.entries()) {
    if (name.trim() === '') throw new BatchInferError('INPUT_HEADER', `${inputName}: line 1: column ${i + 1} of the header has no name`);
  }
  return names;
}
