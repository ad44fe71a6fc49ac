import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { rootEnvProblem, shellQuote } from '../util/shell.js';

/**
 * How a command runs as root without its environment in argv: `sudo -n -- env NAME=value …` would show
 * every value (a password, a token) to every user in `ps` for the whole step. Instead the environment goes
 * into a private file — mode 0600 in a fresh 0700 folder — as `export NAME='value'` lines, and root's bash
 * sources it, deletes it and execs the command. argv holds only the file's name. The file is removed again
 * when the command ends, however it ends.
 */
export interface RootCommand {
  argv: string[];
  /** Removes the env file and its folder (idempotent). */
  dispose(): Promise<void>;
}

/** root's side: source the env file, delete it, then exec the command (argv after the file). */
export const SOURCE_AND_EXEC = '. "$1" && rm -f -- "$1" && shift && exec "$@"';

/** The env file's text: one `export NAME='value'` line per variable (values shell-quoted, so they are data). */
export function envFileText(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}\n`)
    .join('');
}

/**
 * Wraps an argv to run as root: unchanged as root (the caller passes env to the process itself), else
 * `sudo -n` (never prompting) with the env through a private file, never argv.
 */
export async function asRoot(
  argv: readonly string[],
  env: Record<string, string>,
  isRoot: boolean,
  tmpRoot = os.tmpdir(),
): Promise<RootCommand> {
  if (isRoot) return { argv: [...argv], dispose: async () => undefined };
  // The loader refuses these in recipes; this guards every other caller.
  const bad = Object.keys(env).map(rootEnvProblem).find(Boolean);
  if (bad) throw new Error(bad);
  if (!Object.keys(env).length) return { argv: ['sudo', '-n', '--', ...argv], dispose: async () => undefined };
  await fs.mkdir(tmpRoot, { recursive: true, mode: 0o700 });
  const dir = await fs.mkdtemp(path.join(tmpRoot, 'envkit-root-')); // mkdtemp: mode 0700, a name no one can guess
  const file = path.join(dir, 'env.sh');
  try {
    // 'wx': never through a file or link someone placed; 0600 from creation on, not after a chmod.
    await fs.writeFile(file, envFileText(env), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    await fs.rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    argv: ['sudo', '-n', '--', 'bash', '-c', SOURCE_AND_EXEC, 'envkit-env', file, ...argv],
    dispose: () => fs.rm(dir, { recursive: true, force: true }),
  };
}
