import type { FactValue } from '../../facts/registry.js';

/**
 * A package entry: a name, or a map from host selectors to names — distro differences are data.
 * Selectors, most specific first: `debian:12` (distro and version), `debian`, `apt` (package manager),
 * `default`. A value of null (or an empty list) means: nothing to install on that host.
 */
export type PackageEntry = string | Record<string, string | string[] | null>;

export interface HostFacts {
  distro: FactValue;
  distro_version: FactValue;
  pkg_manager: FactValue;
}

/** The package names for this host; `unmatched` lists entries with no selector for it. */
export function packagesFor(
  entries: readonly PackageEntry[],
  host: HostFacts,
): { names: string[]; unmatched: string[] } {
  const names: string[] = [];
  const unmatched: string[] = [];
  const distro = String(host.distro ?? '').toLowerCase();
  const version = String(host.distro_version ?? '');
  const pm = String(host.pkg_manager ?? '');
  for (const e of entries) {
    if (typeof e === 'string') {
      names.push(e);
      continue;
    }
    const keys = [
      ...(distro && version
        ? Object.keys(e).filter(
            (k) =>
              k.startsWith(`${distro}:`) &&
              (version === k.slice(distro.length + 1) || version.startsWith(k.slice(distro.length + 1) + '.')),
          )
        : []),
      distro,
      pm,
      'default',
    ];
    const key = keys.find((k) => k && k in e);
    if (key === undefined) {
      unmatched.push(JSON.stringify(e));
      continue;
    }
    const v = e[key];
    if (v === null || v === undefined) continue;
    names.push(...(Array.isArray(v) ? v : [v]));
  }
  return { names: [...new Set(names)], unmatched };
}

/**
 * The argv that installs `names` with the host's package manager (root handled by the executor); `aptOptions`
 * go to apt-get (a private repository's, see apt-repo.ts). apt waits for another apt or dpkg to finish
 * (its lock) instead of failing at once.
 */
export function installArgv(pm: string, names: readonly string[], aptOptions: readonly string[] = []): string[] {
  switch (pm) {
    case 'apt':
      return [
        'apt-get',
        ...aptOptions,
        'install',
        '-y',
        '-o',
        'Dpkg::Options::=--force-confdef',
        '-o',
        'Dpkg::Options::=--force-confold',
        '-o',
        'DPkg::Lock::Timeout=300',
        ...names,
      ];
    case 'dnf':
      return ['dnf', 'install', '-y', ...names];
    case 'yum':
      return ['yum', 'install', '-y', ...names];
    case 'brew':
      return ['brew', 'install', ...names];
    default:
      throw new Error(`no supported package manager on this host (apt, dnf, yum, brew)`);
  }
}

/** The argv that refreshes package lists, or undefined where the manager needs none. */
export function updateArgv(pm: string): string[] | undefined {
  switch (pm) {
    case 'apt':
      return ['apt-get', 'update'];
    case 'dnf':
      return ['dnf', 'makecache'];
    case 'yum':
      return ['yum', 'makecache'];
    case 'brew':
      return ['brew', 'update'];
    default:
      return undefined;
  }
}

/** The argv that lists which of `names` are installed (for rpm and brew; apt reads dpkg's status file). */
export function queryArgv(pm: string, names: readonly string[]): string[] | undefined {
  switch (pm) {
    case 'dnf':
    case 'yum':
      return ['rpm', '-q', '--qf', '%{NAME}\\n', ...names];
    case 'brew':
      return ['brew', 'list', '--versions', ...names];
    default:
      return undefined;
  }
}

/** Which of `names` the query output shows as installed (`rpm -q` / `brew list --versions`). */
export function parseQuery(pm: string, names: readonly string[], stdout: string): Set<string> {
  const found = new Set<string>();
  for (const line of stdout.split('\n')) {
    const word = line.trim().split(/\s+/)[0];
    if (!word || /is not installed$/.test(line.trim())) continue;
    if (names.includes(word)) found.add(word);
  }
  void pm;
  return found;
}

/** Does apt's output say the package lists are stale or missing (so an update may help)? */
export function needsUpdate(output: string): boolean {
  return /Unable to locate package|has no installation candidate|Failed to fetch .* 404|Package '.*' has no installation candidate|E: Package .* is not available/i.test(
    output,
  );
}
