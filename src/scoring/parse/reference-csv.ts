/**
 * csv-parse, the reference CSV parser, loaded on first use. Importing it cost about 10 ms of every cold start
 * in each thread, and a run whose records all take the fast path, with a plain header, never needs it.
 */

import { createRequire } from 'node:module';
import type * as CsvParseSync from 'csv-parse/sync';

let parser: typeof CsvParseSync.parse | undefined;

export function parseCsvText(text: string, options: CsvParseSync.Options): unknown[] {
  parser ??= (createRequire(import.meta.url)('csv-parse/sync') as typeof CsvParseSync).parse;
  return parser(text, options) as unknown[];
}
