/**
 * A command's options as commander parsed them, handed to the option reader with the environment: commander
 * only splits argv, every value is parsed and checked in src/config/ with where it came from.
 */

import type { Command } from 'commander';
import type { RawScalar } from '../config/parse-values.js';
import { optionsOf, type CommandName } from '../config/option-table.js';
import { readOptions, type ReadOptions } from '../config/read-options.js';

/** The options given on the command line (not commander's defaults), by option name. */
export function flagsFromCommand(command: Command, name: CommandName): Record<string, RawScalar> {
  const values = command.optsWithGlobals<Record<string, RawScalar>>();
  const flags: Record<string, RawScalar> = {};
  for (const entry of optionsOf(name)) {
    const value = values[entry.name];
    if (command.getOptionValueSourceWithGlobals(entry.name) === 'cli' && value !== undefined) flags[entry.name] = value;
  }
  return flags;
}

/** Flags, BATCH_INFER_* variables and the --config file, layered and parsed. */
export function gatherOptions<C extends CommandName>(command: Command, name: C): ReadOptions<C> {
  return readOptions(name, flagsFromCommand(command, name), process.env);
}
