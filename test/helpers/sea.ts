import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Where `npm run build:sea` writes the single-file setup (src/util/sea.ts SEA_FILE). */
export const SEA_BINARY = path.join(ROOT, 'dist', 'setup-linux-x64');

/** Whether this host can build it (scripts/build-sea.mjs refuses any other). */
export const canBuildSea = process.platform === 'linux' && process.arch === 'x64';

/**
 * The single-file setup, built unless it is up to date: scripts/build-sea.mjs compares a hash of what it
 * would build (dist/cli bundled, recipes, schemas, package.json, this Node) with the stamp of the last build,
 * so a recipe edited since is never tested stale, and waits for a build already running (another test
 * file's). Needs dist/cli, which `npm test` builds first. `ms` is how long the build took, when one ran.
 */
export function ensureSeaBinary(): { file: string; ms?: number } {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // vitest's, for its own workers
  const started = Date.now();
  const said = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-sea.mjs')], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { file: SEA_BINARY, ms: said.includes('up to date') ? undefined : Date.now() - started };
}

/**
 * A folder for PATH that holds what a host without Node has: a symlink to every program in the system's
 * folders except node, nodejs, npm, npx and corepack. (Debian's /usr/bin holds this machine's node, so a
 * PATH without it would have nothing at all.)
 */
export function pathWithoutNode(dir: string): string {
  const skip = new Set(['node', 'nodejs', 'npm', 'npx', 'corepack']);
  fs.mkdirSync(dir, { recursive: true });
  for (const from of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    let names: string[];
    try {
      names = fs.readdirSync(from);
    } catch {
      continue;
    }
    for (const name of names) {
      if (skip.has(name)) continue;
      try {
        fs.symlinkSync(path.join(from, name), path.join(dir, name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // an earlier folder's comes first
      }
    }
  }
  return dir;
}
