import fs from 'node:fs/promises';
import type { Runner } from '../../util/process.js';
import type { LockEntry, LockValue } from '../types.js';
import { gitRead } from './inspect.js';

/**
 * Run in every submodule (recursively) by `git submodule foreach`: its path from the top, the commit it
 * has checked out (not just the one recorded), and its URL as the parent's .gitmodules writes it — the
 * upstream URL, since envkit's rewrites are passed per command and never written. Tab-separated.
 */
const EACH = `printf '%s\\t%s\\t%s\\n' "$displaypath" "$(git rev-parse HEAD)" "$(git -C "$toplevel" config -f .gitmodules --get "submodule.$name.url" || true)"`;

/** One checked-out submodule: its path from the top of the clone, commit and URL as .gitmodules writes it. */
export interface LockedSubmodule {
  path: string;
  commit: string;
  url: string;
}

/** Parses the lines EACH prints. */
export function parseSubmoduleLines(out: string): LockedSubmodule[] {
  const list: LockedSubmodule[] = [];
  for (const line of out.split('\n')) {
    const [p, commit, url = ''] = line.split('\t');
    if (p && commit && /^[0-9a-f]{40,64}$/.test(commit)) list.push({ path: p, commit, url });
  }
  return list;
}

/** What a clone has checked out: HEAD's commit and every submodule's (recursively, when asked). */
export async function lockedClone(
  runner: Runner,
  dest: string,
  submodules: boolean,
): Promise<{ commit: string; submodules: LockedSubmodule[] }> {
  if (!(await fs.stat(dest).catch(() => undefined))) throw new Error(`${dest} does not exist`);
  const head = await gitRead(runner, dest, ['rev-parse', '--verify', 'HEAD^{commit}']);
  if (!head.ok) throw new Error(`git rev-parse HEAD in ${dest}: ${head.err.split('\n').pop() || 'failed'}`);
  if (!submodules) return { commit: head.out, submodules: [] };
  const each = await gitRead(runner, dest, ['submodule', 'foreach', '--quiet', '--recursive', EACH]);
  if (!each.ok) throw new Error(`git submodule foreach in ${dest}: ${each.err.split('\n').pop() || 'failed'}`);
  return { commit: head.out, submodules: parseSubmoduleLines(each.raw) };
}

/** A git step's lock entry: the repository as the recipe writes it, the ref, its commit, and each submodule's. */
export function gitLockEntry(
  c: { repo: string; ref: string; dest: string },
  found: { commit: string; submodules: LockedSubmodule[] },
): LockEntry {
  const subs: Record<string, LockValue> = Object.create(null) as Record<string, LockValue>;
  for (const s of [...found.submodules].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)))
    subs[s.path] = { commit: s.commit, url: s.url };
  return {
    repo: c.repo,
    ref: c.ref,
    dest: c.dest,
    commit: found.commit,
    ...(found.submodules.length ? { submodules: subs } : {}),
  };
}

/** Each locked submodule not checked out at its locked commit: `third_party/lib: locked abc1234, checked out def5678`. */
export async function lockedSubmodulesOff(
  runner: Runner,
  dest: string,
  locked: Readonly<Record<string, string>>,
): Promise<string[]> {
  const found = await lockedClone(runner, dest, true).catch(() => ({
    commit: '',
    submodules: [] as LockedSubmodule[],
  }));
  const now = new Map(found.submodules.map((s) => [s.path, s.commit]));
  return Object.keys(locked)
    .sort()
    .filter((p) => now.get(p) !== locked[p])
    .map(
      (p) =>
        `${p}: locked ${locked[p]!.slice(0, 7)}, ${now.has(p) ? `checked out ${now.get(p)!.slice(0, 7)}` : 'not checked out'}`,
    );
}
