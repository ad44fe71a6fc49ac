import fs from 'node:fs/promises';
import path from 'node:path';

/** Whether this shell is fish: it reads its own files, and cannot read env.sh (POSIX sh) by itself. */
export function isFish(shell: string | null): boolean {
  return !!shell && path.basename(shell) === 'fish';
}

/**
 * The rc files a login or interactive shell of this kind reads, in the home folder (unknown shells:
 * ~/.profile). fish reads none of those: its conf.d file and config.fish.
 */
export function shellRcFiles(shell: string | null, home: string): string[] {
  const name = shell ? path.basename(shell) : '';
  const files =
    name === 'bash'
      ? ['.bashrc', '.bash_profile', '.bash_login', '.profile']
      : name === 'zsh'
        ? ['.zshrc', '.zprofile', '.zshenv', '.zlogin']
        : name === 'fish'
          ? ['.config/fish/conf.d/envkit.fish', '.config/fish/config.fish']
          : ['.profile'];
  return files.map((f) => path.join(home, f));
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The line with the variables a source line commonly names expanded as the shell would: `${NAME:-default}`
 * (`${XDG_CONFIG_HOME:-$HOME/.config}`), `${NAME}`, `$NAME`; HOME is the home folder. A variable that is not
 * set stays as written (so the line matches no path).
 */
function expand(line: string, home: string, env: Readonly<Record<string, string | undefined>>): string {
  const value = (name: string): string | undefined => (name === 'HOME' ? home : env[name] || undefined);
  return line
    .replace(/\$\{HOME\}|\$HOME\b/g, () => home)
    .replace(/\$\{(\w+):?[-=]([^}]*)\}/g, (_, name: string, dflt: string) => value(name) ?? dflt)
    .replace(/\$\{(\w+)\}|\$(\w+)/g, (all, a?: string, b?: string) => value((a ?? b)!) ?? all)
    .replace(/(?<=^|\s)~(?=\/)/g, () => home);
}

/**
 * Does this shell script text source `file` (`. FILE` or `source FILE`, the path absolute or under `~`,
 * `$HOME`, `${HOME}` or `${XDG_CONFIG_HOME:-$HOME/.config}`, quoted or not) on a line that is not a comment?
 * envkit's own rc block does. In a fish file (`fish`), only through `bass` or `fenv`, which run it in a POSIX
 * shell: fish's own `source` cannot read env.sh.
 */
export function sourcesFile(
  text: string,
  file: string,
  home: string,
  opts: { env?: Readonly<Record<string, string | undefined>>; fish?: boolean } = {},
): boolean {
  const how = opts.fish ? '(bass|fenv)\\s+source' : '(\\.|source)';
  const at = new RegExp(`(^|[\\s;&|({])${how}\\s+${escape(file)}(?=$|[\\s;&|)}])`);
  return text.split('\n').some((raw) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return false;
    return at.test(expand(line.replace(/["']/g, ''), home, opts.env ?? {}));
  });
}

/** Which of these rc files source `file` (those that cannot be read do not); fish files as fish would. */
export async function rcFilesSourcing(
  rcFiles: readonly string[],
  file: string,
  home: string,
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<string[]> {
  const read = await Promise.all(rcFiles.map((f) => fs.readFile(f, 'utf8').catch(() => undefined)));
  return rcFiles.filter(
    (f, i) => read[i] !== undefined && sourcesFile(read[i]!, file, home, { env, fish: f.endsWith('.fish') }),
  );
}
