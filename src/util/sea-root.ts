import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getAsset, getRawAsset, isSea } from 'node:sea';
import { xdgCache } from 'xdg-basedir';
import { EnvkitError, ExitCode } from './errors.js';
import { systemErrorMessage } from './system-error.js';

/**
 * The single-file setup (Node's SEA, `npm run build:sea`) carries the package's files — recipes/, schema/,
 * package.json — as assets. Code that reads them wants real files with real paths (the catalogue walks a
 * folder; `setup init` writes the schema's file:// URL; a located error names its file), so the first run
 * unpacks them once into `$XDG_CACHE_HOME/envkit/sea/<version>-<hash>/`, and that folder is the package
 * root from then on. The hash is of the files themselves: another build gets another folder.
 */

/** The asset that lists the others (scripts/build-sea.mjs writes it); every other asset's key is its relative path. */
export const SEA_MANIFEST = 'envkit-sea.json';

/** What the manifest asset says. */
export interface SeaManifest {
  /** package.json's version. */
  version: string;
  /** seaHash of the files. */
  hash: string;
  /** Each file's path relative to the package root, `/`-separated; also its asset key. */
  files: string[];
}

/** A content hash of the packed files (each path and its bytes, in path order): 16 hex digits, for a folder name. */
export function seaHash(files: ReadonlyArray<{ path: string; data: Uint8Array }>): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    h.update(`${f.path}\0${f.data.length}\0`);
    h.update(f.data);
  }
  return h.digest('hex').slice(0, 16);
}

/** The folder a manifest's files are unpacked into, under a cache folder (`$XDG_CACHE_HOME`). */
export function seaFolder(manifest: SeaManifest, cacheHome: string): string {
  return path.join(cacheHome, 'envkit', 'sea', `${manifest.version}-${manifest.hash}`);
}

const complete = (dir: string, files: readonly string[]): boolean =>
  files.every((f) => fs.existsSync(path.join(dir, f)));

/**
 * Unpacks the files into `dir` unless they are all there already; returns `dir`. Atomic: they are written into
 * a fresh folder beside it, which is then renamed in; a process that loses the race keeps the winner's
 * folder (same hash, same files) and removes its own. A folder something emptied in part (a cache cleaner)
 * is moved aside and replaced the same way.
 */
export function unpackSea(manifest: SeaManifest, read: (key: string) => Uint8Array, dir: string): string {
  if (complete(dir, manifest.files)) return dir;
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.tmp-`));
  try {
    for (const f of manifest.files) {
      const file = path.join(tmp, ...f.split('/'));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, read(f));
    }
    // Another process may get there first (then its folder is complete: keep it), or an incomplete folder
    // may be in the way (move it aside, then try again).
    for (let tries = 0; ; tries++) {
      try {
        fs.renameSync(tmp, dir);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || tries === 3) throw e;
        if (complete(dir, manifest.files)) break;
        const old = `${tmp}-old${tries}`;
        try {
          fs.renameSync(dir, old);
        } catch {
          /* gone meanwhile: try again */
        }
        fs.rmSync(old, { recursive: true, force: true });
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

let root: string | undefined;

/**
 * The package root when setup runs as the single-file executable (its assets unpacked, once per build and
 * user); undefined otherwise. Throws an EnvkitError (one line, with a hint) when they cannot be unpacked.
 */
export function seaPackageRoot(cacheHome = xdgCache ?? path.join(os.homedir(), '.cache')): string | undefined {
  if (!isSea()) return undefined;
  if (root) return root;
  const manifest = JSON.parse(getAsset(SEA_MANIFEST, 'utf8')) as SeaManifest;
  const dir = seaFolder(manifest, cacheHome);
  try {
    root = unpackSea(manifest, (key) => new Uint8Array(getRawAsset(key) as ArrayBuffer), dir);
  } catch (e) {
    const why = systemErrorMessage(e)?.message ?? (e instanceof Error ? e.message : String(e));
    throw new EnvkitError(
      `cannot unpack the recipes and schemas this setup carries into ${dir}: ${why}`,
      ExitCode.failed,
      'set XDG_CACHE_HOME (or HOME) to a folder you can write',
    );
  }
  return root;
}

/** package.json's version, read from the assets without unpacking anything (`setup --version`). */
export function seaVersion(): string {
  return (JSON.parse(getAsset(SEA_MANIFEST, 'utf8')) as SeaManifest).version;
}
