import type { CommandContext, CommandModule, CommandName } from './command.js';
import { reportError } from './error-output.js';
import { recipeFileArgs } from './recipe-args.js';

/** The commands whose arguments name recipes, from this one on (export: after the format). */
const RECIPE_ARGS: Partial<Record<CommandName, number>> = {
  show: 0,
  plan: 0,
  run: 0,
  doctor: 0,
  lock: 0,
  bundle: 0,
  export: 1,
};

/** Every command, loaded lazily: only the one being run pays for its imports. */
const COMMANDS: Record<CommandName, () => Promise<CommandModule>> = {
  list: () => import('./commands/list.js'),
  show: () => import('./commands/show.js'),
  plan: () => import('./commands/plan.js'),
  run: () => import('./commands/run.js'),
  log: () => import('./commands/log.js'),
  doctor: () => import('./commands/doctor.js'),
  lock: () => import('./commands/lock.js'),
  bundle: () => import('./commands/bundle.js'),
  export: () => import('./commands/export.js'),
  import: () => import('./commands/import.js'),
  validate: () => import('./commands/validate.js'),
  init: () => import('./commands/init.js'),
  completion: () => import('./commands/completion.js'),
  __complete: () => import('./commands/complete.js'),
};

/**
 * Runs a command and reports what it throws. The engine: everything but the command line itself. The
 * built CLI keeps it in its own bundle (scripts/bundle.mjs), so `setup --help` or a mistyped flag never
 * loads it; errors are reported here, by the code that threw them.
 */
export async function runCommand(
  name: CommandName,
  args: string[],
  opts: Record<string, unknown>,
  ctx: CommandContext,
): Promise<number> {
  try {
    const mod = await COMMANDS[name]();
    const from = RECIPE_ARGS[name];
    if (from !== undefined) ({ args, opts } = recipeFileArgs(args, from, opts));
    return await mod.default(args, opts as never, ctx);
  } catch (e) {
    return reportError(e, !!opts.verbose);
  }
}
