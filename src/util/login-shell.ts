import os from 'node:os';

/** The user's shell: `$SHELL`, else the login shell of /etc/passwd (os.userInfo); null when neither says. */
export function userShell(env: NodeJS.ProcessEnv): string | null {
  if (env.SHELL) return env.SHELL;
  try {
    return os.userInfo().shell || null;
  } catch {
    return null;
  }
}
