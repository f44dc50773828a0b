// The benchmark scripts' command lines: node's parseArgs, plus --help and one-line usage errors (exit 64) instead
// of a stack trace, so that a mistyped flag never starts a long run with the defaults.
import { parseArgs } from 'node:util';

/** Parses `args` against `options` (parseArgs' shape); `usage` is printed for --help (exit 0) and after an error. */
export function parseBenchArgs(usage, options, args = process.argv.slice(2)) {
  let values;
  try {
    values = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h', default: false } } }).values;
  } catch (error) {
    usageError(usage, error.message);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return values;
}

/** A positive integer option, or a usage error naming it. */
export function positiveInteger(usage, values, name) {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 1) usageError(usage, `--${name} must be a positive integer, got '${values[name]}'`);
  return value;
}

export function usageError(usage, message) {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(64);
}
