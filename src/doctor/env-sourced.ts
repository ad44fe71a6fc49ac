import fs from 'node:fs/promises';
import path from 'node:path';

/** The rc files a login or interactive shell of this kind reads, in the home folder (unknown shells: ~/.profile). */
export function shellRcFiles(shell: string | null, home: string): string[] {
  const name = shell ? path.basename(shell) : '';
  const files =
    name === 'bash'
      ? ['.bashrc', '.bash_profile', '.bash_login', '.profile']
      : name === 'zsh'
        ? ['.zshrc', '.zprofile', '.zshenv', '.zlogin']
        : ['.profile'];
  return files.map((f) => path.join(home, f));
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Does this shell script text source `file` (`. FILE` or `source FILE`, the path absolute or under `~`,
 * `$HOME` or `${HOME}`, quoted or not) on a line that is not a comment? envkit's own rc block does.
 */
export function sourcesFile(text: string, file: string, home: string): boolean {
  const at = new RegExp(`(^|[\\s;&|({])(\\.|source)\\s+${escape(file)}(?=$|[\\s;&|)}])`);
  return text.split('\n').some((raw) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return false;
    const plain = line.replace(/["']/g, '').replace(/\$\{HOME\}(?=\/)|\$HOME(?=\/)|(?<=^|\s)~(?=\/)/g, home);
    return at.test(plain);
  });
}

/** Which of these rc files source `file` (those that cannot be read do not). */
export async function rcFilesSourcing(rcFiles: readonly string[], file: string, home: string): Promise<string[]> {
  const read = await Promise.all(rcFiles.map((f) => fs.readFile(f, 'utf8').catch(() => undefined)));
  return rcFiles.filter((_, i) => read[i] !== undefined && sourcesFile(read[i]!, file, home));
}
