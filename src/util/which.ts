import fs from 'node:fs';
import path from 'node:path';

/** Finds an executable on PATH without spawning anything; undefined when it is not there. */
export function which(cmd: string, envPath = process.env.PATH ?? ''): string | undefined {
  if (cmd.includes('/')) return isExecutable(cmd) ? cmd : undefined;
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const full = path.join(dir, cmd);
    if (isExecutable(full)) return full;
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
