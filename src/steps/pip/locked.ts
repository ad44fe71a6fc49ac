import os from 'node:os';
import path from 'node:path';
import type { LockedConfig, LockEntry, LockValue } from '../types.js';
import type { PipConfig } from './command.js';
import { canonicalName, parseRequirement } from './requirement.js';

/**
 * What a venv brings by itself (ensurepip, offline) and `pip freeze` leaves out: a lock lists them, but
 * `run --locked` does not pin them, nor does a bundle carry them, unless the step names them itself.
 */
export const VENV_SEEDS: ReadonlySet<string> = new Set(['pip', 'setuptools', 'wheel', 'distribute']);

/** Does a locked distribution get pinned for this step: not a venv's seed, unless the step asks for it by name. */
export function pinsSeed(c: Pick<PipConfig, 'packages'>): (name: string) => boolean {
  const named = new Set(
    c.packages.map((p) => parseRequirement(p)).flatMap((r) => (r instanceof Error ? [] : [canonicalName(r.name)])),
  );
  return (name) => !VENV_SEEDS.has(canonicalName(name)) || named.has(canonicalName(name));
}

/**
 * The lock's venv is this step's: the same path, written `~/…` for this home, or the same path under another
 * home (a lock taken by another user or on another machine, `~/venvs/app` there and here).
 */
function sameVenv(locked: string, venv: string, home: string): boolean {
  if (locked === venv) return true;
  if (locked.startsWith('~/')) return path.join(home, locked.slice(2)) === venv;
  const rel = path.relative(home, venv);
  return !!rel && !rel.startsWith('..') && !path.isAbsolute(rel) && locked.endsWith(`/${rel}`);
}

const isMap = (v: LockValue | undefined): v is { [key: string]: LockValue } =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A pip step pinned to its lock entry: every locked distribution of its venv or interpreter as `name==version`
 * (a distribution's value is its version, or `{ version, hashes? }`). Refuses an entry of another venv.
 * What a venv brings by itself (pip, setuptools, wheel) is left unpinned unless the step names it, as a bundle
 * leaves it out: pinning it would ask the index (a bundle's has none) for what the venv already has.
 * The rest of the step (index, imports, args) stays: pip then installs only what differs.
 */
export function lockedPip(c: PipConfig, entry: LockEntry, home = os.homedir()): LockedConfig<PipConfig> {
  const where = c.venv ?? 'its interpreter';
  if (c.venv && entry.venv !== undefined && !sameVenv(String(entry.venv), c.venv, home))
    return { problem: `locked for the venv ${String(entry.venv)}, but the recipe installs into ${where}` };
  if (!c.venv && entry.venv !== undefined)
    return { problem: `locked for the venv ${String(entry.venv)}, but the recipe installs into ${where}` };
  const dists = entry.distributions;
  if (!isMap(dists)) return { problem: 'its lock entry lists no distributions' };
  // A package the recipe asks for that the lock has not got (added since it was locked): nothing would install it.
  const lockedNames = new Set(Object.keys(dists).map(canonicalName));
  const added = c.packages.filter((p) => {
    const r = parseRequirement(p);
    return !(r instanceof Error) && !p.includes(';') && !lockedNames.has(canonicalName(r.name));
  });
  if (added.length)
    return {
      problem: `the recipe asks for ${added.join(', ')}, which the lock does not have (added since it was locked)`,
    };
  const packages: string[] = [];
  const pinned = pinsSeed(c);
  for (const name of Object.keys(dists).sort()) {
    if (!pinned(name)) continue;
    const v = dists[name];
    const version = isMap(v) ? v.version : v;
    if (typeof version !== 'string' || !version) return { problem: `its lock entry gives ${name} no version` };
    packages.push(`${name}==${version}`);
  }
  if (!packages.length) return { problem: 'its lock entry lists no distributions' };
  return { config: { ...c, packages, upgrade: false, pinVars: packages.map(() => undefined) } };
}
