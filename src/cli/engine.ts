import type { CommandContext, CommandModule, CommandName } from './command.js';
import { reportError } from './error-output.js';

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
    return await mod.default(args, opts as never, ctx);
  } catch (e) {
    return reportError(e, !!opts.verbose);
  }
}
