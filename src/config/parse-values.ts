/**
 * The low level of option handling: each parser takes a raw value (a flag's text, an environment variable, a
 * JSON scalar from a --config file) and the label saying where it came from, and returns the value or throws
 * a one-line usage error naming both ("--chunk-size must be a positive integer, got 'abc'").
 */

import { availableParallelism } from 'node:os';
import { BatchInferError, type ErrorCode } from '../errors.js';

export type RawScalar = string | number | boolean;
export type Parser<T> = (label: string, raw: RawScalar) => T;

export function usage(message: string): never {
  throw new BatchInferError('USAGE', message);
}

export function parseText(_label: string, raw: RawScalar): string {
  return String(raw);
}

export function parsePositiveInteger(label: string, raw: RawScalar): number {
  const text = String(raw);
  const value = Number(text);
  if (typeof raw === 'boolean' || !/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value <= 0) {
    usage(`${label} must be a positive integer, got '${text}'`);
  }
  return value;
}

export function parseCount(label: string, raw: RawScalar): number {
  const text = String(raw);
  if (typeof raw === 'boolean' || !/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(Number(text))) {
    usage(`${label} must be a whole number (0 or more), got '${text}'`);
  }
  return Number(text);
}

export function parsePercent(label: string, raw: RawScalar): number {
  const text = String(raw);
  const value = Number(text);
  if (typeof raw === 'boolean' || !/^\s*\d+(\.\d+)?\s*$/.test(text) || !(value > 0)) usage(`${label} must be a positive percentage, got '${text}'`);
  return value;
}

/** '50s', '500ms', '2m', '1h', or a bare number of seconds; returns milliseconds. */
export function parseDuration(label: string, raw: RawScalar): number {
  const text = String(raw).trim();
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (typeof raw === 'boolean' || match === null) usage(`${label} must be a duration such as 500ms, 50s or 2m, got '${String(raw)}'`);
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  const ms = Number(match[1]) * scale;
  if (ms <= 0) usage(`${label} must be longer than zero, got '${text}'`);
  return ms;
}

export function choiceOf<const T extends string>(choices: readonly T[]): Parser<T> {
  return (label, raw) => {
    if (!choices.includes(String(raw) as T)) usage(`${label} must be one of ${choices.join(', ')}, got '${String(raw)}'`);
    return String(raw) as T;
  };
}

export function parseBoolean(label: string, raw: RawScalar): boolean {
  if (typeof raw === 'boolean') return raw;
  const text = String(raw).toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(text)) return false;
  usage(`${label} must be true or false, got '${String(raw)}'`);
}

export function parseColumnList(label: string, raw: RawScalar): string[] {
  const items = String(raw).split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) usage(`${label} must be a comma-separated list of column names, got '${String(raw)}'`);
  return items;
}

/** Like a column list, but empty means none: `--passthrough ''` copies no column. */
export function parsePassthrough(label: string, raw: RawScalar): string[] {
  return String(raw) === '' ? [] : parseColumnList(label, raw);
}

/** 'http://host[:port]' or 'https://...'. */
export function parseUrl(label: string, raw: RawScalar): string {
  const text = String(raw);
  if (!/^https?:\/\/[^/]+/.test(text)) usage(`${label} must be an http:// or https:// URL, got '${text}'`);
  return text;
}

/** At most this many rejected rows, or this share of the rows, before a run counts as failed. */
export type RejectLimit = { kind: 'rows'; rows: number } | { kind: 'percent'; percent: number };

/** 'N' rows or 'P%' of the rows ('100%' never fails a run for its rejects). */
export function parseRejectLimit(label: string, raw: RawScalar): RejectLimit {
  const text = String(raw).trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent !== null && Number(percent[1]) <= 100) return { kind: 'percent', percent: Number(percent[1]) };
  if (typeof raw !== 'boolean' && /^\d+$/.test(text)) return { kind: 'rows', rows: Number(text) };
  usage(`${label} must be a number of rows (e.g. 500) or a percentage of the rows from 0% to 100% (e.g. 5%), got '${String(raw)}'`);
}

export function isRejectLimit(value: unknown): value is RejectLimit {
  return typeof value === 'object' && value !== null && ((value as RejectLimit).kind === 'rows' || (value as RejectLimit).kind === 'percent');
}

/** As the flag takes it: '500' or '5%'. */
export function formatRejectLimit(limit: RejectLimit): string {
  return limit.kind === 'rows' ? String(limit.rows) : `${limit.percent}%`;
}

/** Whether `rejected` of `rows` rows is beyond the limit. */
export function isBeyondRejectLimit(limit: RejectLimit, rejected: number, rows: number): boolean {
  return limit.kind === 'rows' ? rejected > limit.rows : rejected > (limit.percent / 100) * rows;
}

/** '500,2000,8000' or a range '256:65536' (powers of two from the start up to the end). */
export function parseChunkSizes(label: string, raw: RawScalar): number[] {
  const text = String(raw);
  const range = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(text);
  if (range !== null) {
    const start = parsePositiveInteger(label, range[1]!);
    const end = parsePositiveInteger(label, range[2]!);
    if (end < start) usage(`${label}: the range end ${end} is below its start ${start}`);
    const sizes: number[] = [];
    for (let size = start; size <= end; size *= 2) sizes.push(size);
    return sizes;
  }
  return parseIntegerList(text, () => usage(`${label} must be positive integers ('500,2000') or a range ('256:65536'), got '${text}'`));
}

/**
 * The most workers a run may have: 4 per core, and 16 on any machine. Each worker loads every model, so
 * `--workers 1000` took 22 GB and a load of 577 here before it was killed, and no more threads than a few per
 * core ever scored faster.
 */
export function maxWorkers(cores = availableParallelism()): number {
  return Math.max(16, 4 * cores);
}

/** `code`: MANIFEST_INVALID when the count comes from the manifest, whose fix is there and not on the command line. */
export function checkWorkerCount(label: string, count: number, code: ErrorCode = 'USAGE'): void {
  const cores = availableParallelism();
  if (count > maxWorkers(cores)) {
    throw new BatchInferError(code, `${label} ${count} is more than ${maxWorkers(cores)} (4 per core and at least 16; ${cores} cores here): each worker loads every model`);
  }
}

export function parseWorkerCount(label: string, raw: RawScalar): number {
  const count = parsePositiveInteger(label, raw);
  checkWorkerCount(label, count);
  return count;
}

export function parseWorkerList(label: string, raw: RawScalar): number[] {
  const text = String(raw);
  const counts = parseIntegerList(text, () => usage(`${label} must be positive integers such as '1,2,4', got '${text}'`));
  for (const count of counts) checkWorkerCount(label, count);
  return counts;
}

/** Distinct positive integers, ascending. */
function parseIntegerList(text: string, fail: () => never): number[] {
  const values = text.split(',').map((item) => (/^\s*\d+\s*$/.test(item) && Number(item) > 0 ? Number(item) : fail()));
  return [...new Set(values)].sort((a, b) => a - b);
}

/** A date-time such as 2026-11-30T12:00, taken as UTC unless it names its zone; returns epoch milliseconds. */
export function parseUtcTime(label: string, raw: RawScalar): number {
  const text = String(raw);
  const time = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(text) || !/T|\d{2}:\d{2}/.test(text) ? text : `${text}Z`);
  if (typeof raw === 'boolean' || Number.isNaN(time)) usage(`${label} must be a date-time such as 2026-11-30T12:00 (UTC), got '${text}'`);
  return time;
}
