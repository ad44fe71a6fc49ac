import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { which } from '../../src/util/which.js';
import { BIN, cliEnv, type CliResult } from './helpers.js';

/** The host's python3, if any. */
export const python3 = which('python3');

/** Whether python3 can make venvs with pip in them (Debian's needs python3-venv for that). */
export const hostHasVenv =
  !!python3 &&
  (() => {
    try {
      execFileSync(python3, ['-c', 'import ensurepip, venv'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

/**
 * `setup …` with no PIP_* variables of the host, no pip config files, and the pip cache in the test's HOME;
 * `wrap` runs it under another command (`['unshare', '-n']`: with no network at all).
 */
export function pipCli(
  args: string[],
  home: string,
  extra: Record<string, string> = {},
  wrap: string[] = [],
): Promise<CliResult> {
  const env = cliEnv(home, { PIP_CACHE_DIR: path.join(home, 'pip-cache'), PIP_CONFIG_FILE: '/dev/null', ...extra });
  for (const k of Object.keys(env))
    if (k.startsWith('PIP_') && k !== 'PIP_CACHE_DIR' && k !== 'PIP_CONFIG_FILE') delete env[k];
  return new Promise((resolve) => {
    const [cmd, ...argv] = [...wrap, process.execPath, BIN, ...args];
    execFile(cmd!, argv, { env, cwd: home, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: null, stdout, stderr });
    });
  });
}
