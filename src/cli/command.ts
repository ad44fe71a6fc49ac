import type { CliSpec } from '../docs/cli-spec.js';
import type { GlobalOpts } from './output.js';

/** The commands `setup` has: program.ts defines their flags, engine.ts loads the module that runs each. */
export const COMMAND_NAMES = [
  'list',
  'show',
  'plan',
  'run',
  'log',
  'doctor',
  'lock',
  'bundle',
  'export',
  'import',
  'validate',
  'init',
  'completion',
  '__complete',
] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];

/** What a command gets from the command line besides its args and options. */
export interface CommandContext {
  /** The command line as data (for `setup completion`), described from the program main.ts parsed with. */
  cli: () => CliSpec;
}

/** What each command module exports: an action taking positional args, all options and the context. */
export type CommandModule = {
  default: (args: string[], opts: GlobalOpts & Record<string, unknown>, ctx: CommandContext) => Promise<number>;
};
