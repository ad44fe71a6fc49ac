import {
  argumentKind,
  optionValueKind,
  type ArgumentKind,
  type CliSpec,
  type OptionValueKind,
} from '../docs/cli-spec.js';

/** What a completion script needs to know, whatever the shell. */
export interface CompletionModel {
  /** Visible commands with their one-line descriptions. */
  commands: { name: string; description: string }[];
  /** Options accepted before or after any command (the program's own, without --version). */
  global: { names: string[]; description: string }[];
  /** Each command's own options. */
  perCommand: Record<string, { names: string[]; description: string }[]>;
  /** Every option that takes a value (`--mirror`), with how to complete the value. */
  valued: { names: string[]; kind: OptionValueKind; choices: string[] }[];
  /** How to complete each command's positional arguments. */
  args: Record<string, { kind: ArgumentKind; choices: string[] }>;
}

const names = (o: { long?: string; short?: string }): string[] => [o.short, o.long].filter((x): x is string => !!x);

/** From the CLI as data (see CliSpec), so a new command or option is completed without touching the scripts. */
export function completionModel(spec: CliSpec): CompletionModel {
  const commands = spec.commands.filter((c) => !c.hidden);
  const all = [...spec.globalOptions, ...commands.flatMap((c) => c.options)];
  const valued = new Map<string, CompletionModel['valued'][number]>();
  for (const o of all) {
    const kind = optionValueKind(o);
    if (kind !== 'none' && o.long && !valued.has(o.long))
      valued.set(o.long, { names: names(o), kind, choices: o.choices ?? [] });
  }
  return {
    commands: commands.map((c) => ({ name: c.name, description: c.description })),
    global: spec.globalOptions
      .filter((o) => o.long !== '--version')
      .map((o) => ({ names: names(o), description: o.description })),
    perCommand: Object.fromEntries(
      commands.map((c) => [
        c.name,
        c.options
          .filter((o) => !spec.globalOptions.some((g) => g.long === o.long))
          .map((o) => ({ names: names(o), description: o.description })),
      ]),
    ),
    valued: [...valued.values()],
    args: Object.fromEntries(
      commands
        .filter((c) => c.arguments.length)
        .map((c) => [c.name, { kind: argumentKind(c.arguments[0]!), choices: c.arguments[0]!.choices ?? [] }]),
    ),
  };
}
