import type { LockedConfig, LockEntry, LockValue } from '../types.js';
import type { PipConfig } from './command.js';
import { parseRequirement } from './requirement.js';

/**
 * What a venv brings by itself (ensurepip, offline) and `pip freeze` leaves out: a lock lists them, but
 * `run --locked` does not pin them, nor does a bundle carry them, unless the step names them itself.
 */
export const VENV_SEEDS: ReadonlySet<string> = new Set(['pip', 'setuptools', 'wheel', 'distribute']);

const canon = (n: string): string => n.replace(/[-_.]+/g, '-').toLowerCase();

/** Does a locked distribution get pinned for this step: not a venv's seed, unless the step asks for it by name. */
export function pinsSeed(c: Pick<PipConfig, 'packages'>): (name: string) => boolean {
  const named = new Set(
    c.packages.map((p) => parseRequirement(p)).flatMap((r) => (r instanceof Error ? [] : [canon(r.name)])),
  );
  return (name) => !VENV_SEEDS.has(canon(name)) || named.has(canon(name));
}

const isMap = (v: LockValue | undefined): v is { [key: string]: LockValue } =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A pip step pinned to its lock entry: every locked distribution of its venv or interpreter as `name==version`
 * (a distribution's value is its version, or `{ version, hashes? }`). Refuses an entry of another venv.
 * The rest of the step (index, imports, args) stays: pip then installs only what differs.
 */
export function lockedPip(c: PipConfig, entry: LockEntry): LockedConfig<PipConfig> {
  const where = c.venv ?? 'its interpreter';
  if (c.venv && entry.venv !== undefined && entry.venv !== c.venv)
    return { problem: `locked for the venv ${String(entry.venv)}, but the recipe installs into ${where}` };
  if (!c.venv && entry.venv !== undefined)
    return { problem: `locked for the venv ${String(entry.venv)}, but the recipe installs into ${where}` };
  const dists = entry.distributions;
  if (!isMap(dists)) return { problem: 'its lock entry lists no distributions' };
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
