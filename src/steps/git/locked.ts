import type { LockedConfig, LockEntry, LockValue } from '../types.js';

/** What of a git step's config its lock changes: the ref (the locked commit) and, with submodules, each one's commit. */
export interface GitLockable {
  repo: string;
  ref: string;
  submodules: boolean;
  /** Submodule path (from the top of the clone) → the commit the lock has checked out there. */
  submoduleCommits?: Record<string, string>;
}

const isMap = (v: LockValue | undefined): v is { [key: string]: LockValue } =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A git step at its lock: `ref` becomes the locked commit (checked out detached) and every submodule the
 * lock records is checked out at its locked commit. Refuses a lock of another repository or ref (the recipe
 * changed since it was locked). The clone's folder may differ (another HOME).
 */
export function lockedGit<C extends GitLockable>(c: C, entry: LockEntry): LockedConfig<C> {
  if (typeof entry.repo !== 'string') return { problem: 'its lock entry names no repository' };
  if (typeof entry.ref !== 'string') return { problem: 'its lock entry names no ref' };
  if (entry.repo !== c.repo) return { problem: `locked from ${String(entry.repo)}, but the recipe clones ${c.repo}` };
  if (entry.ref !== c.ref) return { problem: `locked at ref ${String(entry.ref)}, but the recipe asks for ${c.ref}` };
  const commit = entry.commit;
  if (typeof commit !== 'string' || !/^[0-9a-f]{40,64}$/.test(commit))
    return { problem: 'its lock entry has no commit' };
  const subs: Record<string, string> = Object.create(null) as Record<string, string>;
  if (c.submodules && isMap(entry.submodules))
    for (const [p, v] of Object.entries(entry.submodules)) {
      const sub = isMap(v) ? v.commit : undefined;
      if (typeof sub !== 'string' || !/^[0-9a-f]{40,64}$/.test(sub))
        return { problem: `its lock entry has no commit for the submodule ${p}` };
      subs[p] = sub;
    }
  return {
    config: { ...c, ref: commit, ...(Object.keys(subs).length ? { submoduleCommits: subs } : {}) },
  };
}
