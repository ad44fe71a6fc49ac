import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeVerified } from '../../util/verified-write.js';
import type { StepEnv } from '../types.js';

/** Where apt keeps its own state for a private repository: a sources list, its lists and its cache. */
export interface PrivateApt {
  /** The repository folder (absolute). */
  repository: string;
  /** envkit's folder for it (under the cache dir, one per repository). */
  root: string;
  /** `-o` options for every apt-get / apt-cache call that must see only this repository. */
  options: string[];
}

/** The one line of the private sources list: a flat repository, trusted (its index is the bundle's own). */
export function sourcesLine(repository: string): string {
  // One-line sources are split on spaces: quote what apt's URI parser would misread.
  return `deb [trusted=yes] file:${repository.replace(/%/g, '%25').replace(/ /g, '%20')} ./\n`;
}

/**
 * apt configured to use ONLY `repository`: a private sources list and no sources.list.d, its own lists and
 * cache folders (so the host's sources are never contacted and the host's lists and pkgcache are not
 * touched); dpkg's status stays the host's, so installed packages still count.
 */
export function privateApt(repository: string, cacheDir: string): PrivateApt {
  const root = path.join(cacheDir, 'apt', createHash('sha256').update(repository).digest('hex').slice(0, 16));
  return {
    repository,
    root,
    options: [
      '-o',
      `Dir::Etc::SourceList=${path.join(root, 'sources.list')}`,
      '-o',
      `Dir::Etc::SourceParts=${path.join(root, 'sources.list.d')}`,
      '-o',
      `Dir::State::Lists=${path.join(root, 'lists')}`,
      '-o',
      `Dir::Cache=${path.join(root, 'cache')}`,
      // The file: method reads the repository in place; no need for apt's unprivileged download user.
      '-o',
      'APT::Sandbox::User=root',
    ],
  };
}

/** Creates the private folders and sources list (before the first apt call that uses the options). */
export async function preparePrivateApt(p: PrivateApt): Promise<void> {
  for (const d of ['sources.list.d', 'lists/partial', 'cache/archives/partial'])
    await fs.mkdir(path.join(p.root, d), { recursive: true });
  const file = path.join(p.root, 'sources.list');
  const line = sourcesLine(p.repository);
  if ((await fs.readFile(file, 'utf8').catch(() => '')) !== line) await writeVerified(file, line);
}

/**
 * The options every apt-get / apt-cache call that only asks (bundle, doctor, a plan that reads apt) passes:
 * none without `apt.repository` in the profile; with it, the private repository's, its lists read
 * (`apt-get update`, as this user, into envkit's cache) once per invocation. `setup run` installs through
 * the packages kind's apply, which updates as root once per run.
 */
export async function aptOptionsFor(env: StepEnv): Promise<string[]> {
  const repo = env.profile.apt?.repository;
  if (!repo) return [];
  const p = privateApt(repo, env.paths.cache);
  await updated(p, env);
  return p.options;
}

const updates = new Map<string, Promise<void>>();

// Module-level rather than env.memo: the memo is cleared after each step that runs, the lists stay good.
function updated(p: PrivateApt, env: StepEnv): Promise<void> {
  let u = updates.get(p.root);
  if (!u) {
    u = (async () => {
      await preparePrivateApt(p);
      const r = await env.runner.run({
        argv: ['apt-get', ...p.options, 'update'],
        env: { LC_ALL: 'C' },
        timeoutMs: 300_000,
      });
      if (r.spawnError || r.exitCode !== 0) {
        const why = (r.spawnError ?? r.stderr).trim().split('\n').pop();
        throw new Error(`cannot read the apt repository ${p.repository} (apt-get update failed: ${why})`);
      }
    })();
    updates.set(p.root, u);
    u.catch(() => updates.delete(p.root));
  }
  return u;
}
