import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Profile } from '../../lang/schema.js';
import type { BundleContext, BundleItem, BundleResult } from '../types.js';
import type { GitConfig } from './config.js';
import { gitRead } from './inspect.js';

/** What the git hook needs of the step. */
export type GitBundleStep = Pick<GitConfig, 'repo' | 'ref' | 'submodules'>;

/** What runs git for the hook: the profile's rewrites and the step's credentials, per URL (gitOptions, gitEnv). */
export interface GitAccess {
  options(url: string): string[];
  env(url: string): Record<string, string>;
}

/**
 * Where a repository's mirror lives in the bundle: `git/<host>/<path>` (`.git` added when the URL has none),
 * for https://, ssh:// and scp-like (`git@host:path`) URLs; a local path or file:// URL goes under
 * `git/local/`. Undefined when the path would leave the folder (`..`).
 */
export function mirrorPathOf(url: string): string | undefined {
  let host: string;
  let p: string;
  const scp = /^(?:[^@/:]+@)?([^/:]+):(?!\/\/)(.+)$/.exec(url);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    const u = new URL(url);
    host = u.protocol === 'file:' ? 'local' : u.host.replace(/:/g, '_');
    p = decodeURIComponent(u.pathname);
  } else if (scp && !url.startsWith('/')) {
    host = scp[1]!;
    p = scp[2]!;
  } else {
    host = 'local';
    p = url;
  }
  const parts = p.split('/').filter((x) => x && x !== '.');
  if (!parts.length || parts.includes('..') || !host || host === '..') return undefined;
  const joined = parts.join('/');
  return path.posix.join('git', host, joined.endsWith('.git') ? joined : `${joined}.git`);
}

/** A submodule URL as .gitmodules writes it, made absolute against its superproject's URL (`../x.git`). */
export function submoduleUrl(parent: string, url: string): string {
  if (!url.startsWith('./') && !url.startsWith('../')) return url;
  let base = parent.replace(/\/+$/, '');
  let rest = url;
  for (;;) {
    if (rest.startsWith('./')) rest = rest.slice(2);
    else if (rest.startsWith('../')) {
      rest = rest.slice(3);
      const cut = Math.max(base.lastIndexOf('/'), base.lastIndexOf(':'));
      base = cut > 0 ? base.slice(0, cut) : base;
    } else break;
  }
  return `${base}/${rest}`;
}

/** The submodules a commit records: path, URL as written, and the commit the superproject pins. */
async function submodulesAt(
  ctx: BundleContext,
  mirror: string,
  commit: string,
): Promise<{ path: string; url: string; commit: string }[]> {
  const run = ctx.env.runner;
  const cfg = await gitRead(run, mirror, [
    'config',
    '--blob',
    `${commit}:.gitmodules`,
    '--get-regexp',
    '^submodule\\..*\\.(path|url)$',
  ]);
  if (!cfg.ok || !cfg.out) return [];
  const byName = new Map<string, { path?: string; url?: string }>();
  for (const line of cfg.out.split('\n')) {
    const m = /^submodule\.(.+)\.(path|url) (.*)$/.exec(line);
    if (!m) continue;
    const e = byName.get(m[1]!) ?? {};
    e[m[2] as 'path' | 'url'] = m[3]!;
    byName.set(m[1]!, e);
  }
  const out: { path: string; url: string; commit: string }[] = [];
  for (const e of byName.values()) {
    if (!e.path || !e.url) continue;
    const tree = await gitRead(run, mirror, ['ls-tree', commit, '--', e.path]);
    const m = tree.ok ? /^160000 commit ([0-9a-f]{40,64})\t/.exec(tree.out) : null;
    if (m) out.push({ path: e.path, url: e.url, commit: m[1]! });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Bytes under a folder (a mirror's size for the summary). */
export async function folderBytes(dir: string): Promise<number> {
  let n = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += (await fs.stat(path.join(e.parentPath, e.name))).size;
  }
  return n;
}

const exists = (p: string): Promise<boolean> =>
  fs.stat(p).then(
    () => true,
    () => false,
  );

/**
 * The git step's bundle: a bare mirror (`git clone --mirror`, through the active profile's rewrites) of the
 * repository and, with `submodules`, of every submodule at the commits the superproject pins, recursively;
 * the profile maps each URL as the recipe and .gitmodules write it to its mirror. A mirror that already
 * holds the needed commit is not fetched again; one that lacks it is fetched (`git fetch`); a new one is
 * cloned beside its place and renamed in only when complete.
 */
export async function bundleGit(step: GitBundleStep, ctx: BundleContext, access: GitAccess): Promise<BundleResult> {
  const items: BundleItem[] = [];
  const missing: string[] = [];
  const rewrite: Record<string, string> = {};
  const run = ctx.env.runner;
  const lockedCommit = typeof ctx.locked?.commit === 'string' ? ctx.locked.commit : undefined;

  const has = async (mirror: string, rev: string): Promise<string | undefined> => {
    const r = await gitRead(run, mirror, ['rev-parse', '--verify', '-q', `${rev}^{commit}`]);
    return r.ok && r.out ? r.out : undefined;
  };
  const git = async (args: string[], url: string, what: string): Promise<void> => {
    const r = await run.run({
      argv: ['git', ...access.options(url), ...args],
      env: access.env(url),
      signal: ctx.signal,
    });
    if (r.spawnError) throw new Error(`${what}: ${r.spawnError}`);
    if (r.exitCode !== 0)
      throw new Error(`${what}: ${r.stderr.trim().split('\n').pop() ?? `git exited ${r.exitCode ?? r.signal}`}`);
  };

  const visit = async (url: string, want: string, label: string): Promise<void> => {
    const rel = mirrorPathOf(url);
    if (!rel) throw new Error(`cannot place a mirror of ${url} in the bundle (its path leaves the folder)`);
    const abs = path.join(ctx.dir, rel);
    rewrite[url] = `./${rel}`;
    const present = await exists(abs);
    let commit = present ? await has(abs, want) : undefined;
    if (ctx.checkOnly) {
      if (!present) missing.push(`git: ${url} has no mirror (${rel})`);
      else if (!commit) missing.push(`git: the mirror of ${url} (${rel}) lacks ${label}`);
    } else if (!commit) {
      if (!present) {
        ctx.progress(`git: mirroring ${url}`);
        const temp = `${abs}.partial-${randomBytes(4).toString('hex')}`;
        await fs.mkdir(path.dirname(abs), { recursive: true });
        try {
          await git(['clone', '--mirror', '--quiet', '--', url, temp], url, `cannot mirror ${url}`);
          await fs.rename(temp, abs).catch(async (e: NodeJS.ErrnoException) => {
            // Another step mirrored the same repository meanwhile: theirs is as good.
            if (!(await exists(abs))) throw e;
          });
        } finally {
          await fs.rm(temp, { recursive: true, force: true });
        }
      } else {
        ctx.progress(`git: fetching ${url}`);
        await git(['-C', abs, 'fetch', '--quiet', '--prune', 'origin'], url, `cannot fetch ${url} into ${rel}`);
      }
      commit = await has(abs, want);
      if (!commit) throw new Error(`${url} has no ${label}`);
      items.push({ path: rel, bytes: await folderBytes(abs), fetched: true, commits: [commit] });
    } else items.push({ path: rel, bytes: await folderBytes(abs), fetched: false, commits: [commit] });
    if (!commit || !step.submodules) return;
    for (const sub of await submodulesAt(ctx, abs, commit))
      await visit(submoduleUrl(url, sub.url), sub.commit, `commit ${sub.commit.slice(0, 12)} (submodule ${sub.path})`);
  };

  await visit(step.repo, lockedCommit ?? step.ref, lockedCommit ? `commit ${lockedCommit.slice(0, 12)}` : step.ref);
  // One item per mirror, the commits each must hold gathered (a repository used twice is listed once).
  const merged = new Map<string, BundleItem>();
  for (const i of items) {
    const m = merged.get(i.path);
    if (m) m.commits = [...new Set([...(m.commits ?? []), ...(i.commits ?? [])])];
    else merged.set(i.path, { ...i });
  }
  const profile: Partial<Profile> = { git: { rewrite } };
  return { items: [...merged.values()], missing, profile };
}
