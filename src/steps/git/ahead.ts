import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { argvToString } from '../../util/shell.js';
import type { ResolvedStep, StepEnv } from '../types.js';
import type { GitConfig } from './config.js';
import { looksLikeCommit } from './parse.js';

/**
 * Issue 17, item 2 for git: the fresh clone of a later step (with its submodules, the long part of a
 * PyTorch checkout) is made while earlier steps build, in envkit's cache — never at `dest`, which stays
 * untouched until the step's turn. In its turn the step moves it into place (one rename: cache and
 * `dest` share a file system on the machines we know; when not, the step clones as it would have) and
 * goes on as after its own clone. What the clone logged is replayed in the step's log. A failed clone
 * ahead is thrown away: the step clones in its turn and says what fails.
 */
interface Staged {
  dir: string;
  lines: string[];
}

const staged = new WeakMap<object, Staged>();

/** How the step's git commands run: its options (`-c` rewrites) and environment (no prompts, credentials). */
export interface GitRun {
  options: string[];
  env: Record<string, string>;
}

/** The folder a clone ahead of `dest` is made in. */
function stageDir(cache: string, dest: string): string {
  const key = createHash('sha256').update(dest).digest('hex').slice(0, 16);
  return path.join(cache, 'git-ahead', `${key}-${process.pid}`);
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  const entries = await fs.readdir(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : undefined));
  return entries !== undefined && entries.length === 0;
}

/**
 * Clones `step` into the cache ahead of its turn, when `dest` does not hold a clone yet (never rejects).
 * A run that stops (`signal`) before the step's turn removes the clone.
 */
export async function cloneAhead(
  step: ResolvedStep<GitConfig>,
  env: StepEnv,
  git: GitRun,
  signal: AbortSignal,
): Promise<void> {
  const c = step.config;
  if (step.common.root || !(await isEmptyOrMissing(c.dest))) return;
  const dir = stageDir(env.paths.cache, c.dest);
  const lines: string[] = [];
  const run = async (args: string[]): Promise<boolean> => {
    const argv = ['git', ...git.options, ...args];
    lines.push(`$ ${argvToString(argv)}`);
    const r = await env.runner.run({
      argv,
      cwd: env.paths.home,
      env: { ...step.common.env, ...git.env },
      timeoutMs: step.common.timeoutMs,
      signal,
    });
    for (const out of [r.stdout, r.stderr]) if (out.trim()) lines.push(...out.trimEnd().split('\n'));
    return !r.spawnError && !r.timedOut && !r.aborted && r.exitCode === 0;
  };
  const depth = c.depth ? [`--depth=${c.depth}`] : [];
  const inDir = (args: string[]): Promise<boolean> => run(['-C', dir, ...args]);
  try {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(path.dirname(dir), { recursive: true });
    const cloned = looksLikeCommit(c.ref)
      ? (await run(['init', '--quiet', '--', dir])) &&
        (await inDir(['remote', 'add', 'origin', c.repo])) &&
        (await inDir(['fetch', ...(c.depth ? depth : ['--tags']), 'origin', ...(c.depth ? [c.ref] : [])])) &&
        (await inDir(['checkout', '--quiet', '--detach', c.ref]))
      : await run(['clone', `--branch=${c.ref}`, ...depth, '--', c.repo, dir]);
    const done =
      cloned && (!c.submodules || (await inDir(['submodule', 'update', '--init', '--recursive', '--jobs=8'])));
    if (!done || signal.aborted) throw new Error('not cloned');
    lines.push(`cloned ${c.repo} at ${c.ref}${c.submodules ? ' with its submodules' : ''} while earlier steps ran`);
    staged.set(step, { dir, lines });
    // Not taken by its step (the run stopped first): gone with the run.
    signal.addEventListener('abort', () => void dropStaged(step), { once: true });
  } catch {
    await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function dropStaged(step: ResolvedStep<GitConfig>): Promise<void> {
  const s = staged.get(step);
  staged.delete(step);
  if (s) await fs.rm(s.dir, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * In the step's turn: moves its clone made ahead into `dest` when `dest` still holds nothing, after
 * replaying what the clone logged. True when `dest` now holds that clone.
 */
export async function takeAhead(step: ResolvedStep<GitConfig>, log: (line: string) => void): Promise<boolean> {
  const s = staged.get(step);
  staged.delete(step);
  if (!s) return false;
  const c = step.config;
  try {
    if (!(await isEmptyOrMissing(c.dest))) throw new Error(`${c.dest} is no longer empty`);
    for (const line of s.lines) log(line);
    await fs.mkdir(path.dirname(c.dest), { recursive: true });
    await fs.rmdir(c.dest).catch(() => undefined); // an empty folder, or none
    await fs.rename(s.dir, c.dest);
    log(`moved that clone to ${c.dest}`);
    return true;
  } catch (e) {
    log(`not using the clone made ahead (${e instanceof Error ? e.message : String(e)}): cloning here`);
    await fs.rm(s.dir, { recursive: true, force: true }).catch(() => undefined);
    return false;
  }
}
