import type { LockedConfig, LockEntry, LockValue } from '../types.js';
import type { PipConfig } from './command.js';

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
  for (const name of Object.keys(dists).sort()) {
    const v = dists[name];
    const version = isMap(v) ? v.version : v;
    if (typeof version !== 'string' || !version) return { problem: `its lock entry gives ${name} no version` };
    packages.push(`${name}==${version}`);
  }
  if (!packages.length) return { problem: 'its lock entry lists no distributions' };
  return { config: { ...c, packages, upgrade: false, pinVars: packages.map(() => undefined) } };
}
