import type { Argument, Command, Help, Option } from 'commander';
import type { CliArgument, CliCommand, CliOption, CliSpec } from '../docs/cli-spec.js';

/** The text a command's `addHelpText('after', …)` prints, captured without printing. */
function helpAfter(cmd: Command): string {
  let text = '';
  // commander keeps these texts as listeners of its `afterHelp` event (Command is an EventEmitter).
  (cmd as unknown as NodeJS.EventEmitter).emit('afterHelp', {
    error: false,
    command: cmd,
    write: (s: string) => void (text += s),
  });
  return text.trim();
}

function option(o: Option): CliOption {
  const value = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1];
  return {
    flags: o.flags,
    long: o.long,
    short: o.short,
    description: o.description,
    value: value?.replace(/\.\.\.$/, ''),
    choices: o.argChoices,
    defaultValue: Array.isArray(o.defaultValue) && !o.defaultValue.length ? undefined : o.defaultValue,
  };
}

function argument(a: Argument): CliArgument {
  return {
    name: a.name(),
    description: a.description,
    required: a.required,
    variadic: a.variadic,
    choices: a.argChoices,
  };
}

function command(c: Command, help: Help, visible: ReadonlySet<Command>): CliCommand {
  return {
    name: c.name(),
    description: c.description(),
    usage: `setup ${help.commandUsage(c).replace(/^setup /, '')}`,
    arguments: c.registeredArguments.map(argument),
    options: help.visibleOptions(c).map(option),
    helpAfter: helpAfter(c),
    hidden: !visible.has(c),
  };
}

/** A commander program as data (see CliSpec). */
export function describeProgram(program: Command): CliSpec {
  const help = program.createHelp();
  const visible = new Set(help.visibleCommands(program));
  return {
    name: program.name(),
    description: program.description(),
    usage: help.commandUsage(program),
    globalOptions: help.visibleOptions(program).map(option),
    commands: [...program.commands, ...[...visible].filter((c) => !program.commands.includes(c))].map((c) =>
      command(c, help, visible),
    ),
    helpAfter: helpAfter(program),
  };
}
