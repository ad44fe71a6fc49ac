import type { LockEntry, LockValue } from '../steps/types.js';

/**
 * How what is installed now differs from a lock, one thing at a time (`setup doctor`, `plan --locked`).
 * Pure: two lock entries of one step kind in, the differences out.
 */

/** One difference: the thing (a distribution, `git <path>`, a package, a file), its locked and installed values (absent: none). */
export interface LockDifference {
  item: string;
  locked?: string;
  installed?: string;
}

const isMap = (v: LockValue | undefined): v is { [key: string]: LockValue } =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** A version as an entry writes it: a string, or a map with `version` (where a kind adds hashes or an arch). */
const versionOf = (v: LockValue | undefined): string | undefined =>
  v === undefined ? undefined : isMap(v) ? versionOf(v.version ?? v.commit) : String(v);

/** Two maps of versions compared key by key (sorted): changed, added and removed keys. */
function compareMaps(
  locked: LockValue | undefined,
  installed: LockValue | undefined,
  item: (key: string) => string,
): LockDifference[] {
  const a = isMap(locked) ? locked : {};
  const b = isMap(installed) ? installed : {};
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const out: LockDifference[] = [];
  for (const k of keys) {
    const l = Object.hasOwn(a, k) ? versionOf(a[k]) : undefined;
    const i = Object.hasOwn(b, k) ? versionOf(b[k]) : undefined;
    if (l !== i)
      out.push({
        item: item(k),
        ...(l !== undefined ? { locked: l } : {}),
        ...(i !== undefined ? { installed: i } : {}),
      });
  }
  return out;
}

/** Every leaf of a value as `path → text` (for kinds this file does not know). */
function leaves(v: LockValue | undefined, key: string, out: Record<string, string>): Record<string, string> {
  if (v === undefined) return out;
  if (isMap(v)) for (const k of Object.keys(v)) leaves(v[k], key ? `${key}.${k}` : k, out);
  else out[key] = Array.isArray(v) ? JSON.stringify(v) : String(v);
  return out;
}

/**
 * The differences between a step's locked entry and the one read now, in a stable order. pip: the
 * interpreter's version and each distribution; git: the commit and each submodule's; packages: each
 * package's version; download: the file's sha256; any other kind: each value.
 */
export function diffLockEntries(kind: string, locked: LockEntry, installed: LockEntry): LockDifference[] {
  const one = (item: string, l: LockValue | undefined, i: LockValue | undefined): LockDifference[] =>
    compareMaps(l === undefined ? {} : { x: l }, i === undefined ? {} : { x: i }, () => item);
  switch (kind) {
    case 'pip':
      return [
        ...one('python', locked.python, installed.python),
        ...compareMaps(locked.distributions, installed.distributions, (k) => k),
      ];
    case 'git': {
      const dest = String(locked.dest ?? installed.dest ?? locked.repo);
      return [
        ...one(`git ${dest}`, locked.commit, installed.commit),
        ...compareMaps(locked.submodules, installed.submodules, (p) => `git ${p}`),
      ];
    }
    case 'packages':
      return compareMaps(locked.packages, installed.packages, (k) => k);
    case 'download':
      return one(String(locked.dest ?? locked.extract ?? locked.url), locked.sha256, installed.sha256);
    default:
      return compareMaps(leaves(locked, '', {}), leaves(installed, '', {}), (k) => k);
  }
}

const shorten = (v: string): string => (/^[0-9a-f]{40,64}$/.test(v) ? v.slice(0, v.length > 40 ? 12 : 7) : v);

/** One line for people: `torch: locked 2.13.0, installed 2.14.1` (git: `checked out`, hashes shortened). */
export function formatDifference(kind: string, d: LockDifference): string {
  const verb = kind === 'git' ? 'checked out' : kind === 'download' ? 'has sha256' : 'installed';
  const l =
    d.locked === undefined ? 'not locked' : `locked ${kind === 'download' ? 'sha256 ' : ''}${shorten(d.locked)}`;
  const i =
    d.installed === undefined ? `not ${verb === 'has sha256' ? 'there' : verb}` : `${verb} ${shorten(d.installed)}`;
  return `${d.item}: ${l}, ${i}`;
}
