import type { Runner } from '../../util/process.js';
import type { LockEntry, LockValue } from '../types.js';

/** An installed package as the lock records it: its version and architecture, and the package behind a virtual name. */
export interface InstalledPackage {
  version: string;
  arch?: string;
  /** The package that provides the name the recipe asks for, when that name is virtual. */
  package?: string;
}

/** The argv that prints `name<TAB>version<TAB>arch` for each installed package (brew: `name v1 v2 …`). */
export function versionQueryArgv(pm: string, names: readonly string[]): string[] | undefined {
  switch (pm) {
    case 'apt':
      return ['dpkg-query', '-W', '-f', '${Package}\t${Version}\t${Architecture}\n', ...names];
    case 'dnf':
    case 'yum':
      return ['rpm', '-q', '--qf', '%{NAME}\t%{VERSION}-%{RELEASE}\t%{ARCH}\n', ...names];
    case 'brew':
      return ['brew', 'list', '--versions', ...names];
    default:
      return undefined;
  }
}

/** Parses what versionQueryArgv prints: package name → version and architecture (the newest brew version). */
export function parseVersionQuery(pm: string, stdout: string): Map<string, InstalledPackage> {
  const found = new Map<string, InstalledPackage>();
  for (const line of stdout.split('\n')) {
    if (pm === 'brew') {
      const [name, ...versions] = line.trim().split(/\s+/);
      if (name && versions.length) found.set(name, { version: versions[versions.length - 1]! });
      continue;
    }
    const [name, version, arch] = line.split('\t');
    // dpkg-query lists packages once known but not installed with an empty version.
    if (name && version && !/is not installed/.test(line)) found.set(name, { version, ...(arch ? { arch } : {}) });
  }
  return found;
}

/** The installed versions of `names` (each mapped to its real package first: `real(name)`). */
export async function installedVersions(
  runner: Runner,
  pm: string,
  names: readonly string[],
  real: (name: string) => string = (n) => n,
): Promise<Map<string, InstalledPackage>> {
  const packages = [...new Set(names.map(real))];
  const argv = versionQueryArgv(pm, packages);
  if (!argv) throw new Error(`cannot read installed versions with ${pm}`);
  const r = await runner.run({ argv, timeoutMs: 60_000, env: { LC_ALL: 'C' } });
  if (r.spawnError) throw new Error(r.spawnError);
  const found = parseVersionQuery(pm, r.stdout);
  const out = new Map<string, InstalledPackage>();
  for (const n of names) {
    const p = real(n);
    // `name:arch` asks dpkg-query for that architecture; it answers with the bare name.
    const v = found.get(p) ?? found.get(p.split(':')[0]!);
    if (!v) throw new Error(`${p} is not installed (${argv[0]} knows no version of it)`);
    out.set(n, p !== n ? { ...v, package: p } : v);
  }
  return out;
}

/** A packages step's lock entry: the package manager and each name's installed version, sorted by name. */
export function packagesLockEntry(pm: string, versions: ReadonlyMap<string, InstalledPackage>): LockEntry {
  const packages: Record<string, LockValue> = Object.create(null) as Record<string, LockValue>;
  for (const name of [...versions.keys()].sort()) {
    const v = versions.get(name)!;
    packages[name] = {
      version: v.version,
      ...(v.arch ? { arch: v.arch } : {}),
      ...(v.package ? { package: v.package } : {}),
    };
  }
  return { manager: pm, packages };
}

/** What `apt-cache policy` says of each package: its installed version and the one apt would install. */
export function parseAptPolicy(stdout: string): Map<string, { installed?: string; candidate?: string }> {
  const out = new Map<string, { installed?: string; candidate?: string }>();
  for (const [name, text] of policySections(stdout)) {
    const current: { installed?: string; candidate?: string } = {};
    for (const line of text.split('\n')) {
      const m = /^\s+(Installed|Candidate):\s*(\S+)/.exec(line);
      if (m && m[2] !== '(none)') current[m[1] === 'Installed' ? 'installed' : 'candidate'] = m[2]!;
    }
    out.set(name, current);
  }
  return out;
}

/** `apt-cache policy A B …` cut into each package's part (its `name:` line, then its lines), by name. */
export function policySections(stdout: string): Map<string, string> {
  const lines = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) lines.set(head[1]!, (current = []));
    else current?.push(line);
  }
  return new Map([...lines].map(([name, l]) => [name, l.join('\n')]));
}

/**
 * `setup lock --resolve` for apt: the version each name would have after the step — the installed one
 * (the step installs only what is missing), else apt's candidate — from one `apt-cache policy` call.
 */
export async function resolvedVersions(
  runner: Runner,
  names: readonly string[],
  /** apt's options: a profile's `apt.repository` asked instead of the host's sources (aptOptionsFor). */
  options: readonly string[] = [],
): Promise<Map<string, InstalledPackage>> {
  const r = await runner.run({
    argv: ['apt-cache', ...options, 'policy', ...names],
    timeoutMs: 60_000,
    env: { LC_ALL: 'C' },
  });
  if (r.spawnError) throw new Error(r.spawnError);
  if (r.exitCode !== 0)
    throw new Error(`apt-cache policy: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.exitCode}`}`);
  const policy = parseAptPolicy(r.stdout);
  const out = new Map<string, InstalledPackage>();
  for (const n of names) {
    const p = policy.get(n) ?? policy.get(n.split(':')[0]!);
    const version = p?.installed ?? p?.candidate;
    if (!version)
      throw new Error(
        `apt has no candidate for ${n} (not in the package lists, or a virtual name: name the real package)`,
      );
    out.set(n, { version });
  }
  return out;
}
