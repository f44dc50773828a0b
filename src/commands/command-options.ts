/**
 * A command's options as commander parsed them, layered with BATCH_INFER_* variables and a --config file.
 */

import type { Command } from 'commander';
import { layerOptions, readConfigFile, readEnvironment, RUN_OPTION_NAMES, type RawOptions } from '../config/options.js';

/** The options given on the command line (not commander's defaults), as raw values. */
export function flagsFromCommand(command: Command): RawOptions {
  const values = command.opts<Record<string, string | boolean>>();
  const out: RawOptions = {};
  for (const name of RUN_OPTION_NAMES) {
    if (command.getOptionValueSource(name) === 'cli' && values[name] !== undefined) out[name] = { value: values[name], source: 'flag' };
  }
  return out;
}

/** --config FILE (or BATCH_INFER_CONFIG), BATCH_INFER_* variables and flags, layered. */
export function gatherOptions(command: Command): { raw: RawOptions; configFile: string | undefined } {
  const values = command.opts<{ config?: string }>();
  const configFile = values.config ?? process.env.BATCH_INFER_CONFIG;
  const config = configFile === undefined ? {} : readConfigFile(configFile);
  return { raw: layerOptions(flagsFromCommand(command), readEnvironment(process.env), config), configFile };
}
