import { policySections } from './lock.js';
import type { Runner } from '../../util/process.js';
import type { LockedConfig, LockEntry, LockValue } from '../types.js';
import { installedVersions } from './lock.js';

/** A package the lock pins: its version, and the real package behind a virtual name. */
export interface PackagePin {
  version: string;
  package?: string;
}

const isMap = (v: LockValue | undefined): v is { [key: string]: LockValue } =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A packages step at its lock: with apt, each locked name pinned to its version (`name=version`, the real
 * package for a virtual name). Other managers install as the recipe says (apt alone takes a version the same
 * way everywhere): the step keeps its config.
 */
export function lockedPackages<C extends { pins?: Record<string, PackagePin> }>(
  c: C,
  entry: LockEntry,
): LockedConfig<C> {
  if (entry.manager !== 'apt') return { config: c };
  if (!isMap(entry.packages)) return { problem: 'its lock entry lists no packages' };
  const pins: Record<string, PackagePin> = Object.create(null) as Record<string, PackagePin>;
  for (const [name, v] of Object.entries(entry.packages)) {
    const version = isMap(v) ? v.version : undefined;
    if (typeof version !== 'string' || !version) return { problem: `its lock entry gives ${name} no version` };
    pins[name] = { version, ...(isMap(v) && typeof v.package === 'string' ? { package: v.package } : {}) };
  }
  return { config: { ...c, pins } };
}

/** `apt-get install` arguments for the pinned names: `package=version` (the names not pinned as they are). */
export function pinnedNames(names: readonly string[], pins: Readonly<Record<string, PackagePin>>): string[] {
  return names.map((n) => (Object.hasOwn(pins, n) ? `${pins[n]!.package ?? n}=${pins[n]!.version}` : n));
}

/** The installed names whose version is not the pinned one: name → what is installed (apt only). */
export async function offPins(
  runner: Runner,
  names: readonly string[],
  pins: Readonly<Record<string, PackagePin>>,
  real: (name: string) => string,
): Promise<Map<string, string>> {
  const pinned = names.filter((n) => Object.hasOwn(pins, n));
  const now = pinned.length ? await installedVersions(runner, 'apt', pinned, real) : new Map();
  const off = new Map<string, string>();
  for (const n of pinned) if (now.get(n)?.version !== pins[n]!.version) off.set(n, now.get(n)?.version ?? '');
  return off;
}

/** The versions `apt-cache policy PACKAGE` lists in its version table (the archive's and the installed one). */
export function parsePolicyVersions(stdout: string): string[] {
  const out: string[] = [];
  let inTable = false;
  for (const line of stdout.split('\n')) {
    if (/^\s*Version table:/.test(line)) inTable = true;
    else if (inTable) {
      const m = /^\s{1,}(?:\*\*\*\s+)?(\S+)\s+-?\d+\s*$/.exec(line);
      if (m && !line.includes('/')) out.push(m[1]!);
    }
  }
  return out;
}

/** Pinned versions the archive does not have (asked of `apt-cache policy`, which reads no network): one line each. */
export async function unavailablePins(
  runner: Runner,
  off: ReadonlyMap<string, string>,
  pins: Readonly<Record<string, PackagePin>>,
  /** apt's options: a profile's `apt.repository` asked instead of the host's sources (aptOptionsFor). */
  options: readonly string[] = [],
): Promise<string[]> {
  const lines: string[] = [];
  const asked = [...off.keys()].sort().map((n) => ({ pin: pins[n]!, pkg: pins[n]!.package ?? n }));
  if (!asked.length) return lines;
  // One call for every package (apt-cache reads its whole cache each time: seconds where it is not kept).
  const r = await runner.run({
    argv: ['apt-cache', ...options, 'policy', ...new Set(asked.map((a) => a.pkg))],
    timeoutMs: 60_000,
    env: { LC_ALL: 'C' },
  });
  if (r.spawnError || r.exitCode !== 0) return lines; // cannot tell: the install says
  const sections = policySections(r.stdout);
  for (const { pin, pkg } of asked) {
    const have = parsePolicyVersions(sections.get(pkg) ?? '');
    if (!have.includes(pin.version))
      lines.push(
        `${pkg} ${pin.version} is not in the package archive (${have.length ? `it has ${have.join(', ')}` : 'it has no version of it'})`,
      );
  }
  return lines;
}
