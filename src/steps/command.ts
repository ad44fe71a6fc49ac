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

/**
 * A command as one line of bash for `setup export sh`, run as setup runs it: a shell string through
 * `bash -e -o pipefail -c` with its template values as quoted assignments in front (never script text),
 * an argv as quoted words.
 */
export function commandShell(cmd: Command, q: (s: string) => string): string {
  if (!('shell' in cmd)) return argvShell(cmd.argv, q);
  const vars = Object.entries(cmd.vars ?? {}).map(([k, v]) => `${k}=${q(v)} `);
  return `${vars.join('')}bash -e -o pipefail -c ${q(cmd.shell)}`;
}

/** An argv as one line of bash words. */
export function argvShell(argv: readonly string[], q: (s: string) => string): string {
  return argv.map(q).join(' ');
}
