import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Option, type Command } from 'commander';
import { createProgram } from '../../src/commands/program.js';
import { COMMANDS, OPTION_TABLE, envName, flagOf, optionsOf, type CommandName } from '../../src/config/option-table.js';

const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

function helpOf(name: CommandName): string {
  const command = createProgram().commands.find((candidate: Command) => candidate.name() === name);
  assert.ok(command, name);
  // What `batch-infer NAME --help` prints, text added after the options included.
  let help = '';
  command.configureOutput({ writeOut: (text) => (help += text) });
  command.outputHelp();
  return help;
}

/** The flags listed as options in a help text ('  -w, --workers <n>  ...' gives --workers). */
function flagsInHelp(help: string): Set<string> {
  return new Set([...help.matchAll(/^ {2}(?:-\w, )?(--[a-z][\w-]*)/gm)].map((match) => match[1]!));
}

describe('the option table', () => {
  it('gives each command each option name, flag and short flag once', () => {
    for (const command of COMMAND_NAMES) {
      const entries = optionsOf(command);
      for (const key of ['name', 'short'] as const) {
        const values = entries.map((entry) => entry[key]).filter((value) => value !== undefined);
        assert.equal(new Set(values).size, values.length, `${command}: a ${key} is used twice`);
      }
    }
  });

  it("names every option so that commander's attribute, the flag and the environment name all follow from it", () => {
    for (const entry of OPTION_TABLE) {
      assert.equal(new Option(flagOf(entry)).attributeName(), entry.name);
      assert.match(envName(entry.name), /^BATCH_INFER_[A-Z_]+$/);
    }
    assert.equal(envName('chunkSize'), 'BATCH_INFER_CHUNK_SIZE');
  });

  it('has a default of the type its parser returns, wherever it has one', () => {
    for (const entry of OPTION_TABLE) {
      if (entry.default === undefined || entry.valueName === undefined) continue;
      const text = Array.isArray(entry.default) ? entry.default.join(',') : String(entry.default);
      // requestTimeout's default is in ms and its help says '30s': parse what help shows.
      const shown = 'defaultHelp' in entry && entry.defaultHelp !== undefined ? entry.defaultHelp : text;
      assert.deepEqual(entry.parse(flagOf(entry), shown), entry.default, entry.name);
    }
  });

  for (const command of COMMAND_NAMES) {
    it(`${command} --help lists every option the table gives ${command}, with its help text, and no other`, () => {
      const help = helpOf(command);
      const listed = flagsInHelp(help);
      // --help is each command's own from commander, --version the program's, shown under 'Global Options'.
      const expected = new Set([...optionsOf(command).map(flagOf), '--help', '--version']);
      assert.deepEqual([...listed].sort(), [...expected].sort());
      for (const entry of optionsOf(command)) assert.ok(help.replace(/\s+/g, ' ').includes(entry.help), `${command}: help of ${flagOf(entry)}`);
    });
  }

  it('says in each help where options come from: flags, the environment and --config, or flags only', () => {
    for (const command of COMMAND_NAMES) {
      const help = helpOf(command).replace(/\s+/g, ' ');
      if (COMMANDS[command].isLayered) assert.match(help, /BATCH_INFER_<NAME>.*Flags win over the environment, the environment over the file/, command);
      else assert.match(help, /Options come from flags only/, command);
    }
  });
});
