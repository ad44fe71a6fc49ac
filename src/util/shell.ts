/** Quotes a string for POSIX shells so that it reaches the command as one literal word. */
export function shellQuote(s: string): string {
  if (s === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Renders an argv list as a shell command line, for display and logs. */
export function argvToString(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * Variables bash sets itself — read-only (UID, PPID…) or recomputed on every read (RANDOM, SECONDS, `_`…):
 * a value exported for them from bash does not reach the command as written. Root steps get their env
 * through bash (see run/as-root.ts), so these names are refused there.
 */
export const BASH_MANAGED = new Set([
  ...['BASHOPTS', 'BASH_VERSINFO', 'EUID', 'PPID', 'SHELLOPTS', 'UID'],
  ...[
    'BASHPID',
    'BASH_ALIASES',
    'BASH_ARGC',
    'BASH_ARGV',
    'BASH_ARGV0',
    'BASH_CMDS',
    'BASH_COMMAND',
    'BASH_LINENO',
    'BASH_SOURCE',
    'BASH_SUBSHELL',
  ],
  ...[
    'DIRSTACK',
    'EPOCHREALTIME',
    'EPOCHSECONDS',
    'FUNCNAME',
    'GROUPS',
    'HISTCMD',
    'LINENO',
    'RANDOM',
    'SECONDS',
    'SRANDOM',
    '_',
  ],
]);

/** Why a root step cannot pass `name` in its env, or undefined when it can. */
export function rootEnvProblem(name: string): string | undefined {
  return BASH_MANAGED.has(name)
    ? `${name} cannot be passed to a root step: bash, which hands the environment to root's command, sets ${name} itself`
    : undefined;
}

/** Characters a shell reads as syntax (substitution, a new command, a redirect, quoting): never in a shell-inert value. */
export const SHELL_ACTIVE = /[`$;&|<>()\n\r"'\\]/;
