import fs from 'node:fs';
import path from 'node:path';
import { isSea as nodeIsSea } from 'node:sea';
import { packageRoot } from './paths.js';

/** The file `npm run build:sea` writes into dist/: setup as one executable, Node inside (Node's SEA). */
export const SEA_FILE = 'setup-linux-x64';

/** Whether this setup runs as the single-file executable. */
export function isSea(): boolean {
  return nodeIsSea();
}

/**
 * The single-file setup to copy to a host without Node 20: this executable when setup runs as one, else
 * dist/setup-linux-x64 when it was built; undefined when there is neither.
 */
export function seaBinary(): string | undefined {
  if (isSea()) return process.execPath;
  const file = path.join(packageRoot, 'dist', SEA_FILE);
  return fs.existsSync(file) ? file : undefined;
}
