/** The header of a CSV snapshot: one CSV record (csv-parse reads it), every column named. */

import { BatchInferError } from '../errors.js';
import { parseCsvText } from '../scoring/parse/reference-csv.js';

/** A header with no quote and no line break is its fields between commas, as csv-parse reads it. */
function parseHeaderRecord(text: string): string[] {
  if (!/["\r\n]/.test(text)) return text.split(',');
  return (parseCsvText(text, { relax_column_count: true }) as string[][])[0] ?? [];
}

/**
 * The header's column names. `line` is where it starts (blank lines before it are skipped). A carriage return
 * not followed by a line feed is refused: the splitter ends lines at LF only, so with old Mac line ends the whole
 * file would be read as the header, its rows silently dropped.
 */
export function decodeHeader(bytes: Uint8Array | undefined, inputName: string, line = 1): string[] {
  if (bytes === undefined || bytes.length === 0) throw new BatchInferError('INPUT_HEADER', `${inputName}: empty input, no header line`);
  let names: string[];
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    failOnBareReturn(text, inputName, line);
    names = parseHeaderRecord(text);
  } catch (error) {
    if (error instanceof BatchInferError) throw error;
    throw new BatchInferError('INPUT_HEADER', `${inputName}: line ${line}: the header is not a CSV record: ${(error as Error).message.replace(/ at line \d+.*$/, '')}`);
  }
  for (const [i, name] of names.entries()) {
    if (name.trim() === '') throw new BatchInferError('INPUT_HEADER', `${inputName}: line ${line}: column ${i + 1} of the header has no name`);
  }
  return names;
}

function failOnBareReturn(text: string, inputName: string, line: number): void {
  const at = text.search(/\r(?!\n)/);
  if (at === -1) return;
  const column = text.slice(0, at).split(',').length;
  throw new BatchInferError('INPUT_HEADER', `${inputName}: line ${line}, column ${column}: bare CR line ends are not supported (LF or CRLF): the header line holds a carriage return without a line feed`);
}
