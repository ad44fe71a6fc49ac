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
