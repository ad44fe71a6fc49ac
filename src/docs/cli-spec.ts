/**
 * The command line as data: what docs/cli.md and the shell completion scripts are made from. Built from
 * the commander definitions by src/cli/describe.ts, so neither can drift from the real parser.
 */

/** One option: `--mirror <name|file>`. */
export interface CliOption {
  flags: string;
  long?: string;
  short?: string;
  description: string;
  /** The placeholder of its value (`name|file`), or undefined for a flag. */
  value?: string;
  choices?: string[];
  defaultValue?: unknown;
}

/** One positional argument: `[recipe...]`. */
export interface CliArgument {
  name: string;
  description: string;
  required: boolean;
  variadic: boolean;
  choices?: string[];
}

/** One command: `setup plan [options] [recipe...]`. */
export interface CliCommand {
  name: string;
  description: string;
  usage: string;
  arguments: CliArgument[];
  options: CliOption[];
  /** The text `--help` prints after the options (examples), as written. */
  helpAfter: string;
  /** Kept out of --help, docs and completion (e.g. `__complete`). */
  hidden: boolean;
}

/** The whole CLI. */
export interface CliSpec {
  name: string;
  description: string;
  usage: string;
  globalOptions: CliOption[];
  commands: CliCommand[];
  helpAfter: string;
}

/** What a positional argument holds, for completion: recipe names, file paths, a fixed list, a command, or free text. */
export type ArgumentKind = 'recipe' | 'path' | 'choice' | 'command' | 'text';

/** How to complete an argument, by its name in the commander definitions. */
export function argumentKind(arg: CliArgument): ArgumentKind {
  if (arg.choices?.length) return 'choice';
  if (arg.name === 'recipe') return 'recipe';
  if (arg.name === 'command') return 'command';
  if (arg.name === 'path' || arg.name === 'dir' || arg.name === 'file') return 'path';
  return 'text';
}

/** How to complete an option's value: profile names, folders, files, a fixed list, or free text. */
export type OptionValueKind = 'profile' | 'dir' | 'file' | 'choice' | 'text' | 'none';

/** From the option's placeholder: `<dir>` → folders, `<name|file>` under --mirror → profiles. */
export function optionValueKind(o: CliOption): OptionValueKind {
  if (o.value === undefined) return 'none';
  if (o.choices?.length) return 'choice';
  if (o.long === '--mirror') return 'profile';
  if (o.value === 'dir') return 'dir';
  if (o.value === 'file' || o.value === 'path') return 'file';
  return 'text';
}
