/**
 * NDJSON has no header to check the manifest's columns against, and a feature with a fill is filled wherever a
 * record lacks it, so a misspelt column name would fill every row without a word. The columns with a fill that
 * the first record does not have are worth a notice.
 */

import type { ScoringPlan } from '../model/scoring-plan.js';
import type { SnapshotHooks } from './snapshot-options.js';

export function filledColumnsMissing(firstChunk: Uint8Array, plan: ScoringPlan): string[] {
  const bytes = Buffer.from(firstChunk.buffer, firstChunk.byteOffset, firstChunk.length);
  let firstLine = '';
  for (let start = 0; start < bytes.length && firstLine.trim() === ''; ) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    firstLine = bytes.toString('utf8', start, end);
    start = end + 1;
  }
  let record: unknown;
  try {
    record = JSON.parse(firstLine.replace(/^\uFEFF/, ''));
  } catch {
    return []; // Not an object: the record itself becomes a reject, which says so.
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return [];
  const keys = new Set(Object.keys(record));
  const filled = plan.models.flatMap((model) => model.inputs.filter((input) => input.fill !== undefined).flatMap((input) => input.columns));
  return [...new Set(filled)].filter((column) => !keys.has(column));
}

/** One 'notice' phase per filled column the first record lacks. */
export function noticeMissingFills(firstChunk: Uint8Array, plan: ScoringPlan, inputName: string, onPhase: SnapshotHooks['onPhase']): void {
  for (const column of filledColumnsMissing(firstChunk, plan)) {
    onPhase?.('notice', { message: `${inputName}: the first record has no '${column}'; with the manifest's fill, every record without it is filled, not rejected (check the column's spelling)` });
  }
}
