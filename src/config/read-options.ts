/**
 * The low level: a command's raw option values from flags, BATCH_INFER_* variables and a --config JSON file,
 * layered (flags > environment > file > the entry's default) and parsed, each with where it came from. It
 * refuses a variable or a config key for an option the command does not take: set but ignored would be a lie.
 * Building things from the values (the manifest, derived defaults) is the high level's job (options.ts).
 */

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { BatchInferError, isBatchInferError, readFailedError } from '../errors.js';
import { formatRejectLimit, isRejectLimit, usage, type RawScalar } from './parse-values.js';
import {
  COMMANDS,
  OPTION_TABLE,
  envName,
  flagName,
  optionsOf,
  takesLayer,
  type CommandName,
  type OptionEntry,
  type OptionSource,
  type OptionValue,
  type OptionValues,
} from './option-table.js';

export interface ReadOptions<C extends CommandName> {
  values: OptionValues<C>;
  configFile: string | undefined;
}

interface Given {
  raw: RawScalar;
  source: OptionSource;
  label: string;
}

/** Names that some command reading the environment takes from `layer`. */
function layeredNames(layer: 'env' | 'config'): Set<string> {
  return new Set(OPTION_TABLE.filter((entry) => takesLayer(entry, layer) && entry.commands.some((command) => COMMANDS[command].isLayered)).map((entry) => entry.name));
}

/** BATCH_INFER_<option> for an option this command does not take: refused, naming both. */
function refuseForeignEnvironment(command: CommandName, env: NodeJS.ProcessEnv): void {
  const taken = new Set(optionsOf(command).filter((entry) => takesLayer(entry, 'env')).map((entry) => entry.name));
  for (const name of layeredNames('env')) {
    if (!taken.has(name) && env[envName(name)] !== undefined) usage(`${envName(name)} is set, but ${command} does not take ${flagName(name)}`);
  }
}

/**
 * A --config file: a JSON object whose keys are option names (camelCase or kebab-case). A relative path in it
 * is taken from the file's directory, so that the same file works from any working directory.
 */
export function readConfigFile(command: CommandName, file: string): Map<string, Given> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    // Missing or unreadable is a missing input (66); there but not valid is CONFIG_INVALID (78).
    throw readFailedError(`--config ${file}`, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BatchInferError('CONFIG_INVALID', `--config ${file}: ${(error as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new BatchInferError('CONFIG_INVALID', `--config ${file}: must be a JSON object`);
  const known = layeredNames('config');
  const out = new Map<string, Given>();
  for (const [key, value] of Object.entries(json)) {
    const name = key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const entry = optionsOf(command).find((candidate) => candidate.name === name && takesLayer(candidate, 'config'));
    if (entry === undefined) {
      if (known.has(name)) throw new BatchInferError('CONFIG_INVALID', `--config ${file} sets '${key}', but ${command} does not take ${flagName(name)}`);
      throw new BatchInferError('CONFIG_INVALID', `--config ${file}: unknown option '${key}'`);
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new BatchInferError('CONFIG_INVALID', `--config ${file}: '${key}' must be a string, number or boolean`);
    }
    const isRelativePath = entry.isPath === true && typeof value === 'string' && value !== '-' && !isAbsolute(value);
    out.set(name, { raw: isRelativePath ? resolve(dirname(file), value) : value, source: 'config', label: `--config ${file}: ${key}` });
  }
  return out;
}

function givenValue(entry: OptionEntry, flags: Readonly<Record<string, RawScalar>>, env: NodeJS.ProcessEnv | undefined, config: Map<string, Given>): Given | undefined {
  const flag = flags[entry.name];
  if (flag !== undefined) return { raw: flag, source: 'flag', label: flagName(entry.name) };
  const fromEnv = env !== undefined && takesLayer(entry, 'env') ? env[envName(entry.name)] : undefined;
  if (fromEnv !== undefined) return { raw: fromEnv, source: 'env', label: envName(entry.name) };
  return takesLayer(entry, 'config') ? config.get(entry.name) : undefined;
}

function parseGiven(entry: OptionEntry, given: Given | undefined): OptionValue<unknown> {
  if (given === undefined) return { value: entry.default, source: 'default', label: flagName(entry.name) };
  try {
    return { value: entry.parse(given.label, given.raw), source: given.source, label: given.label };
  } catch (error) {
    // A bad value in a --config file is fixed in the file (78), not on the command line (64).
    if (given.source === 'config' && isBatchInferError(error) && error.code === 'USAGE') throw new BatchInferError('CONFIG_INVALID', error.message, { cause: error });
    throw error;
  }
}

/**
 * `flags`: the values given on the command line, by option name (not commander's defaults). A command that is
 * not layered (generate, inspect) reads flags only.
 */
export function readOptions<C extends CommandName>(command: C, flags: Readonly<Record<string, RawScalar>>, env: NodeJS.ProcessEnv): ReadOptions<C> {
  const entries = optionsOf(command);
  const layeredEnv = COMMANDS[command].isLayered ? env : undefined;
  if (layeredEnv !== undefined) refuseForeignEnvironment(command, layeredEnv);
  const configEntry = entries.find((entry) => entry.name === 'config');
  const configFile = configEntry === undefined ? undefined : givenValue(configEntry, flags, layeredEnv, new Map())?.raw;
  const config = configFile === undefined ? new Map<string, Given>() : readConfigFile(command, String(configFile));
  const values: Record<string, OptionValue<unknown>> = {};
  for (const entry of entries) values[entry.name] = parseGiven(entry, givenValue(entry, flags, layeredEnv, config));
  return { values: values as OptionValues<C>, configFile: configFile === undefined ? undefined : String(configFile) };
}

export type Explained = Record<string, { value: unknown; source: OptionSource }>;

/** Every option a config file could set, with its value and where it came from: what --print-config shows. */
export function explainValues(command: CommandName, values: Readonly<Record<string, OptionValue<unknown>>>): Explained {
  const explained: Explained = {};
  for (const entry of optionsOf(command)) {
    const given = values[entry.name];
    if (takesLayer(entry, 'config') && given !== undefined) explained[entry.name] = { value: given.value, source: given.source };
  }
  return explained;
}

/** --print-config: one line per option, '--workers  2  [env BATCH_INFER_WORKERS]'. */
/** A value as it would be written on the command line where JSON would not say it (a reject limit: '50%'). */
function showValue(value: unknown): string {
  if (isRejectLimit(value)) return JSON.stringify(formatRejectLimit(value));
  return JSON.stringify(value) ?? '(unset)';
}

export function formatExplained(explained: Explained, configFile: string | undefined): string {
  const width = Math.max(...Object.keys(explained).map((name) => flagName(name).length));
  return Object.entries(explained)
    .map(([name, { value, source }]) => {
      const where = source === 'env' ? `env ${envName(name)}` : source === 'config' ? `config ${configFile}` : source;
      return `${flagName(name).padEnd(width)}  ${showValue(value)}  [${where}]\n`;
    })
    .join('');
}
