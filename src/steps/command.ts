import { argvToString } from '../util/shell.js';
import type { Command } from './types.js';

/** The argv that runs a command: `bash -e -o pipefail -c …` for a shell string. */
export function commandArgv(cmd: Command): string[] {
  return 'shell' in cmd ? ['bash', '-e', '-o', 'pipefail', '-c', cmd.shell] : [...cmd.argv];
}

/** A command as people read it in plans and errors. */
export function commandText(cmd: Command): string {
  return 'shell' in cmd ? (cmd.display ?? cmd.shell) : argvToString(cmd.argv);
}

/** The environment a command needs on top of the step's: its template values (see Command). */
export function commandEnv(cmd: Command, env: Record<string, string> = {}): Record<string, string> {
  return 'shell' in cmd && cmd.vars && Object.keys(cmd.vars).length ? { ...env, ...cmd.vars } : env;
}
