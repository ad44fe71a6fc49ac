import fs from 'node:fs/promises';
import type { Runner } from '../../util/process.js';
import { splitUserinfo } from './credentials.js';
import {
  looksLikeCommit,
  parseSubmoduleStatus,
  pickRef,
  sameRepo,
  type RefTarget,
  type SubmoduleStatus,
} from './parse.js';

/**
 * Reads what `dest` holds, locally only (the check never touches the network and never writes:
 * GIT_OPTIONAL_LOCKS=0 keeps `git status` from refreshing the index).
 */

/** What `dest` is, as far as the `git` step cares. */
export type DestState =
  | { kind: 'missing' }
  | { kind: 'empty' }
  /** Something that is not a clone of the repo: never touched. `why` is a full sentence with the fix. */
  | { kind: 'other'; why: string }
  /** The read itself failed (git missing, unsafe ownership…). */
  | { kind: 'unknown'; why: string }
  /** A clone of the repo: its HEAD commit (none when unborn) and what `ref` names in it (none when not fetched). */
  | { kind: 'clone'; head?: string; target?: RefTarget; credentialInOrigin?: boolean };

/** The environment of read-only git calls: no prompts, no optional locks, stable messages. */
export const READ_ENV = { GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
const TIMEOUT_MS = 60_000;

/** Runs a read-only git command in `dir`. */
export async function gitRead(
  runner: Runner,
  dir: string,
  args: string[],
): Promise<{ ok: boolean; out: string; raw: string; err: string }> {
  const r = await runner.run({ argv: ['git', '-C', dir, ...args], env: READ_ENV, timeoutMs: TIMEOUT_MS });
  if (r.spawnError) throw new Error(r.spawnError);
  if (r.timedOut) throw new Error(`git ${args[0]} did not finish in ${TIMEOUT_MS / 1000}s`);
  return { ok: r.exitCode === 0, out: r.stdout.trim(), raw: r.stdout, err: r.stderr.trim() };
}

/** The message for a `dest` that holds something else. */
export function notAClone(dest: string, repo: string, detail: string): string {
  return `${dest} exists and is not a clone of ${repo} (${detail}): move it away or change dest`;
}

/** What `ref` names in the clone at `dest`: a remote branch, a tag, or (written as hex) a commit. */
export async function resolveRef(runner: Runner, dest: string, ref: string): Promise<RefTarget | undefined> {
  const each = await gitRead(runner, dest, [
    'for-each-ref',
    '--format=%(refname) %(objectname) %(*objectname)',
    `refs/remotes/origin/${ref}`,
    `refs/tags/${ref}`,
  ]);
  const named = pickRef(ref, each.out);
  if (named || !looksLikeCommit(ref)) return named;
  const c = await gitRead(runner, dest, ['rev-parse', '-q', '--verify', `${ref}^{commit}`]);
  return c.ok && c.out ? { kind: 'commit', commit: c.out } : undefined;
}

/** Reads `dest`: missing, empty, something else, or a clone of `repo` with its HEAD and `ref`'s commit. */
export async function inspectDest(runner: Runner, dest: string, repo: string, ref: string): Promise<DestState> {
  let st;
  try {
    st = await fs.stat(dest);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unknown', why: `cannot read ${dest}: ${code ?? String(e)}` };
  }
  if (!st.isDirectory()) return { kind: 'other', why: notAClone(dest, repo, 'it is a file') };
  if ((await fs.readdir(dest)).length === 0) return { kind: 'empty' };
  const top = await gitRead(runner, dest, ['rev-parse', '--show-toplevel']);
  if (!top.ok) {
    if (/dubious ownership/i.test(top.err))
      return {
        kind: 'unknown',
        why: `git refuses to read ${dest}: it belongs to another user (git config --global --add safe.directory ${dest})`,
      };
    if (/not a git repository/i.test(top.err))
      return { kind: 'other', why: notAClone(dest, repo, 'a folder with files, not a git repository') };
    return { kind: 'unknown', why: `git cannot read ${dest}: ${top.err.split('\n')[0] || 'git rev-parse failed'}` };
  }
  const [real, realTop] = await Promise.all([fs.realpath(dest), fs.realpath(top.out).catch(() => top.out)]);
  if (real !== realTop)
    return { kind: 'other', why: notAClone(dest, repo, `a folder inside the git work tree ${top.out}`) };
  const origin = await gitRead(runner, dest, ['config', '--get', 'remote.origin.url']);
  if (!origin.ok || !origin.out)
    return { kind: 'other', why: notAClone(dest, repo, 'a git repository without an origin remote') };
  if (!sameRepo(origin.out, repo)) return { kind: 'other', why: notAClone(dest, repo, `a clone of ${origin.out}`) };
  const [head, target] = await Promise.all([
    gitRead(runner, dest, ['rev-parse', '-q', '--verify', 'HEAD^{commit}']),
    resolveRef(runner, dest, ref),
  ]);
  // A token in origin's URL (an older clone, or one made by hand) sits in .git/config: run takes it out.
  const credentialInOrigin = splitUserinfo(origin.out).userinfo !== undefined;
  return {
    kind: 'clone',
    head: head.ok && head.out ? head.out : undefined,
    target,
    ...(credentialInOrigin ? { credentialInOrigin } : {}),
  };
}

/** Tracked files with local changes (submodules aside): what a checkout of another commit could clobber. */
export async function localChanges(runner: Runner, dest: string): Promise<string[]> {
  const r = await gitRead(runner, dest, [
    'status',
    '--porcelain=v1',
    '--untracked-files=no',
    '--ignore-submodules=all',
  ]);
  if (!r.ok) throw new Error(`git status in ${dest}: ${r.err.split('\n')[0]}`);
  return r.raw
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3));
}

/** Every submodule, recursively, with whether it is at its recorded commit. */
export async function submoduleStatus(runner: Runner, dest: string): Promise<SubmoduleStatus[]> {
  const r = await gitRead(runner, dest, ['submodule', 'status', '--recursive']);
  if (!r.ok) throw new Error(`git submodule status in ${dest}: ${r.err.split('\n').pop() || 'failed'}`);
  return parseSubmoduleStatus(r.raw);
}
