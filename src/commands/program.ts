/**
 * The commands and their options, built from the option table: each command's flags, help text and defaults
 * come from one entry per option, so --help cannot drift from what is read.
 */

import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ExitCode, formatExitStatuses } from '../errors.js';
import { createRunLog, isJsonLogAsked } from './run-log.js';
import { COMMANDS, OPTION_TABLE, describeOption, flagOf, optionsOf, type CommandName, type OptionEntry } from '../config/option-table.js';

/** Commander only splits argv: no parser, no default, so every value is checked in src/config/ with its source. */
function commanderOption(entry: OptionEntry): Option {
  const short = entry.short === undefined ? '' : `-${entry.short}, `;
  const value = entry.valueName === undefined ? '' : ` <${entry.valueName}>`;
  return new Option(`${short}${flagOf(entry)}${value}`, describeOption(entry));
}

const LAYERED_HELP = `
Every option can also be set as BATCH_INFER_<NAME> (BATCH_INFER_WORKERS for
--workers) or as a key of a --config JSON file (workers; chunkSize or
chunk-size). Flags win over the environment, the environment over the file,
the file over the manifest's run section, that over the defaults. A variable
or config key for an option this command does not take is refused.`;

const FLAGS_ONLY_HELP = `
Options come from flags only: BATCH_INFER_* variables and --config files are
read by run, replay and bench.`;

/** A command with its options from the table, in the table's order. */
function defineCommand(program: Command, name: CommandName, description: string): Command {
  const command = program.command(name).description(description);
  for (const entry of optionsOf(name)) if (entry.isGlobal !== true) command.addOption(commanderOption(entry));
  return command.addHelpText('after', COMMANDS[name].isLayered ? LAYERED_HELP : FLAGS_ONLY_HELP);
}

/** The package's version, from the package.json beside dist/ (and src/). */
function packageVersion(): string {
  const json = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return json.version;
}

export function createProgram(): Command {
  const program = new Command('batch-infer')
    .description('Score snapshots of rows with ONNX models on a pool of worker threads.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .addHelpText('after', `\nExit codes (README, "Exit codes"):\n${formatExitStatuses()}\n`)
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeErr: (text) => process.stderr.write(text),
      outputError: (text, write) => {
        const message = text.replace(/^error: /, '').trim();
        if (isJsonLogAsked(process.argv)) createRunLog('json', write).event('error', { code: 'USAGE', exitCode: ExitCode.usage, message });
        else write(`batch-infer: ${message}\n`);
      },
    });
  for (const entry of OPTION_TABLE) if (entry.isGlobal === true) program.addOption(commanderOption(entry));

  defineCommand(program, 'run', 'score one snapshot (CSV or NDJSON, file or stdin) and write predictions in input order')
    .argument('[input]', "snapshot file (.csv, .ndjson, .jsonl, optionally .gz); '-' or none reads stdin")
    .action(async (input: string | undefined, _options: unknown, command: Command) => {
      const { runCommand } = await import('./run.js');
      process.exitCode = await runCommand(input, command);
    });
  defineCommand(program, 'replay', 'score many snapshots (files, directories, globs) in time order through one pool')
    .argument('<inputs...>', 'snapshot files, directories or glob patterns')
    .action(async (inputs: string[], _options: unknown, command: Command) => {
      const { replayCommand } = await import('./replay.js');
      process.exitCode = await replayCommand(inputs, command);
    });
  defineCommand(program, 'bench', 'sweep chunk sizes and worker counts on the same rows; report, chart, recommend, gate CI')
    .argument('[input]', 'snapshot file (or use --rows N to synthesize one)')
    .action(async (input: string | undefined, _options: unknown, command: Command) => {
      const { benchCommand } = await import('./bench.js');
      process.exitCode = await benchCommand(input, command);
    });
  defineCommand(program, 'serve', 'keep the models loaded and score snapshots over HTTP (POST /v1/score); see docs/serve.md').action(async (_options: unknown, command: Command) => {
    const { serveCommand } = await import('./serve.js');
    process.exitCode = await serveCommand(command);
  });
  defineCommand(program, 'generate', 'write a seeded synthetic APM transaction snapshot (CSV) of any size').action(async (_options: unknown, command: Command) => {
    const { generateCommand } = await import('./generate.js');
    process.exitCode = await generateCommand(command);
  });
  defineCommand(program, 'inspect', "print an ONNX model's inputs and outputs and a starting manifest for it")
    .argument('<model>', 'ONNX model file')
    .action(async (model: string) => {
      const { inspectCommand } = await import('./inspect.js');
      process.exitCode = await inspectCommand(model);
    });
  return program;
}
