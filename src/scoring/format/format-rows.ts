/**
 * Text forms of output rows and rejects. Workers format their own rows, so that the main thread only
 * concatenates bytes in input order.
 */

import type { OutputFormat } from '../../model/scoring-plan.js';

const NEEDS_QUOTES = /[",\r\n]/;

export function quoteCsvField(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The first line of an output: the column names (CSV), nothing for NDJSON. */
export function formatOutputHeader(columns: readonly string[], format: OutputFormat): string {
  return format === 'csv' ? `${columns.map(quoteCsvField).join(',')}\n` : '';
}

/** Renders a number read from an output tensor: shortest text that reads back to the same value. */
export function formatNumber(value: number | bigint, format: OutputFormat): string {
  if (typeof value === 'bigint') return value.toString();
  if (Number.isFinite(value)) return String(value);
  return format === 'csv' ? String(value) : 'null';
}

/** A CSV field or a JSON value: the rest of the output row is built after it. */
export function formatPassthroughValue(value: string | number | boolean | null | undefined | object, format: OutputFormat): string {
  if (format === 'csv') {
    if (value === null || value === undefined) return '';
    return quoteCsvField(typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  return value === undefined ? 'null' : JSON.stringify(value);
}

export const REJECTS_HEADER = 'line,reason,record\n';

/** One line of the rejects file (CSV: line number, reason, the record's original text). */
export function formatReject(line: number, reason: string, record: string): string {
  return `${line},${quoteCsvField(reason)},${quoteCsvField(record)}\n`;
}

/** NDJSON keys for the output columns, JSON-encoded once. */
export function jsonKeys(columns: readonly string[]): string[] {
  return columns.map((column) => `${JSON.stringify(column)}:`);
}
