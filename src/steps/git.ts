import path from 'node:path';
import * as z from '../util/zod.js';
import { gitRewriteArgs, rewriteWith } from '../lang/mirror.js';
import type { Profile } from '../lang/schema.js';
import { gitFetchUrl, gitMustAnswer } from './git/remote-url.js';
import { argvToString } from '../util/shell.js';
import { which } from '../util/which.js';
import { credentialEnv, publicRewrites, publicUrl } from './git/credentials.js';
import { bundleGit } from './git/bundle.js';
import { cloneAhead, takeAhead } from './git/ahead.js';
import { unreachable } from '../util/reach.js';
import { gitShell } from './git/shell.js';
import type { GitConfig } from './git/config.js';
import { gitLockEntry, lockedClone, lockedSubmodulesOff } from './git/lock.js';
import { lockedGit } from './git/locked.js';
import { gitRead, inspectDest, localChanges, resolveRef, submoduleStatus, type DestState } from './git/inspect.js';
import {
  badRef,
  looksLikeCommit,
  needsFileTransport,
  remoteRefCommit,
  remoteRefKind,
  repoBasename,
  submoduleProblems,
} from './git/parse.js';
import { gitUrlProblem } from '../lang/schema.js';
import { defineKind, StepFailure, type ApplyEnv, type ResolvedStep, type StepEnv } from './types.js';

export type { GitConfig };

const gitSchema = z.strictObject({
  repo: z
    .string()
    .min(1)
    .meta({
      description:
        'The repository as upstream spells it (https://github.com/org/name.git, git@github.com:org/name.git). The mirror profile’s git.rewrite applies to the clone and every submodule; origin stays this URL.',
      examples: ['https://github.com/facebookresearch/faiss.git', 'git@github.com:pytorch/pytorch.git'],
    }),
  ref: z
    .string()
    .min(1)
    .meta({
      description: 'What to check out: a tag, a branch (its tip as last fetched), or a commit (full or short sha).',
      examples: ['v1.7.4', 'main', '9f1c2d3'],
    }),
  dest: z
    .string()
    .min(1)
    .optional()
    .meta({
      description:
        'Where to clone (~/ allowed); default {{ dirs.src }}/<repo name without .git>. Never overwritten when it holds something else.',
      examples: ['{{ dirs.src }}/faiss'],
    }),
  submodules: z
    .boolean()
    .optional()
    .meta({
      description: 'Check out every submodule, recursively, at its recorded commit (through the same rewrites).',
      examples: [true],
    }),
  depth: z
    .int()
    .min(1)
    .optional()
    .meta({
      description:
        'Shallow clone with this many commits of history (a commit ref must then be a full 40-character sha).',
      examples: [1],
    }),
});

type GitSpec = z.infer<typeof gitSchema>;

/** Why a ref/depth pair cannot work (a short sha cannot be fetched shallowly), or undefined. */
function refProblem(ref: string, depth: number | undefined): string | undefined {
  const bad = badRef(ref);
  if (bad) return bad;
  if (depth !== undefined && looksLikeCommit(ref) && ref.length < 40)
    return `a short commit "${ref}" cannot be fetched shallowly: give the full 40-character sha, or drop depth`;
  return undefined;
}

/**
 * `-c` options every git command of the step gets: the profile's rewrites (never the user's config; their
 * credentials go through the environment, see credentialEnv), quiet detaching.
 */
export function gitOptions(profile: Profile, repo: string): string[] {
  const rules = publicRewrites(profile);
  return [
    '-c',
    'advice.detachedHead=false',
    ...gitRewriteArgs(rules),
    // Recent git refuses file:// for submodules (CVE-2022-39253) unless allowed: only when the user points at local files.
    ...(needsFileTransport([rewriteWith(rules, publicUrl(repo)), ...Object.values(rules)])
      ? ['-c', 'protocol.file.allow=always']
      : []),
  ];
}

/** The environment of the step's git commands: no prompts, and the credentials of its URLs (never argv). */
export function gitEnv(profile: Profile, c: GitConfig): Record<string, string> {
  return { ...GIT_ENV, ...credentialEnv(profile, c.written ?? c.repo) };
}

const short = (sha: string | undefined): string => (sha ? sha.slice(0, 12) : 'no commit');
const GIT_ENV = { GIT_TERMINAL_PROMPT: '0' };

/** `git`: a clone of `repo` at `ref` in `dest` (optionally shallow, with submodules), through the mirror's rewrites. */
export const gitKind = defineKind<GitSpec, GitConfig>({
  kind: 'git',
  description:
    'Clones a repository at a tag, branch or commit (optionally shallow, with submodules recursively), through the mirror profile’s git rewrites passed per command: the user’s git config is never touched.',
  satisfiedWhen:
    '`dest` is a clone of `repo` (origin as written) whose HEAD is `ref`’s commit (a branch: its tip as last fetched; the check never fetches), with every submodule at its recorded commit when `submodules: true`.',
  schema: gitSchema,
  lint: (spec) => {
    const repoWhy = spec.repo.includes('{{') ? undefined : gitUrlProblem(spec.repo, false);
    const why = spec.ref.includes('{{') ? undefined : refProblem(spec.ref, spec.depth);
    return [
      ...(repoWhy ? [{ path: ['repo'], message: `repo ${JSON.stringify(spec.repo)} ${repoWhy}` }] : []),
      ...(why ? [{ path: ['ref'], message: why }] : []),
    ];
  },
  resolve: (spec, t) => {
    const written = t.str(spec.repo);
    const repo = publicUrl(written);
    const ref = t.str(spec.ref);
    const why = refProblem(ref, spec.depth);
    if (why) throw new Error(why);
    const repoWhy = gitUrlProblem(repo, false);
    if (repoWhy) throw new Error(`repo ${JSON.stringify(repo)} ${repoWhy}`);
    const base = repoBasename(repo);
    if (!spec.dest && (!base || base === '.' || base === '..'))
      throw new Error(`cannot name a folder after ${repo}: set dest`);
    const dest = spec.dest ? t.path(spec.dest) : path.join(t.path('{{ dirs.src }}'), base);
    return {
      repo,
      ...(written !== repo ? { written } : {}),
      ref,
      dest,
      submodules: spec.submodules ?? false,
      depth: spec.depth,
    };
  },
  describe: (step, env) => {
    const c = step.config;
    const url = rewriteWith(publicRewrites(env.profile), c.repo);
    const rules = Object.entries(publicRewrites(env.profile));
    const urls = [url];
    if (c.submodules)
      urls.push(
        rules.length
          ? `submodules through the same rewrites (${rules.map(([from, to]) => `${from} → ${to}`).join(', ')})`
          : 'submodules from the URLs in .gitmodules',
      );
    const warnings = [url, ...rules.map(([, to]) => to)]
      .filter((u) => /^(http|git):\/\//.test(u))
      .map((u) => `unencrypted git transport: ${u}`);
    const extras = [c.depth ? `depth ${c.depth}` : '', c.submodules ? 'with submodules (recursive)' : ''].filter(
      Boolean,
    );
    return {
      summary: `clone ${c.repo} at ${c.ref} into ${c.dest}${extras.length ? `, ${extras.join(', ')}` : ''}`,
      urls,
      ...(warnings.length ? { warnings: [...new Set(warnings)] } : {}),
    };
  },
  check: async (step, env) => {
    const c = step.config;
    const s = await inspectDest(env.runner, c.dest, c.repo, c.ref);
    // Cloning needs git: not on PATH, the step cannot succeed (a lookup, nothing spawned).
    const noGit = (): { blocked?: string } =>
      which('git', env.processEnv.PATH ?? '')
        ? {}
        : { blocked: 'git is not installed (no git on PATH): install git (apt install git), or put it on PATH' };
    switch (s.kind) {
      case 'missing':
        return { state: 'unsatisfied', reason: `${c.dest} does not exist`, ...noGit() };
      case 'empty':
        return { state: 'unsatisfied', reason: `${c.dest} is an empty folder`, ...noGit() };
      case 'other':
        return { state: 'unsatisfied', reason: s.why };
      case 'unknown':
        return { state: 'unknown', reason: s.why };
    }
    if (s.credentialInOrigin)
      return {
        state: 'unsatisfied',
        reason: `the origin URL in ${c.dest}/.git/config holds a credential (run removes it; envkit passes credentials through the environment)`,
      };
    if (!s.target)
      return { state: 'unsatisfied', reason: `${c.ref} is not in the clone at ${c.dest} yet (run fetches it)` };
    if (s.head !== s.target.commit) {
      const dirty = s.head ? (await localChanges(env.runner, c.dest)).length > 0 : false;
      return {
        state: 'unsatisfied',
        reason: `${c.dest} is at ${short(s.head)}, wants ${c.ref} (${short(s.target.commit)})${dirty ? '; its work tree has local changes, so run will refuse until they are committed or stashed' : ''}`,
      };
    }
    if (c.submoduleCommits) {
      const off = await lockedSubmodulesOff(env.runner, c.dest, c.submoduleCommits);
      if (off.length) return { state: 'unsatisfied', reason: `${c.dest}: ${off.join('; ')}` };
    } else if (c.submodules) {
      const problem = submoduleProblems(await submoduleStatus(env.runner, c.dest));
      if (problem) return { state: 'unsatisfied', reason: `${c.dest}: ${problem}` };
    }
    return {
      state: 'satisfied',
      reason: `${c.dest} is at ${c.ref} (${short(s.target.commit)})${c.submodules ? ', submodules at their recorded commits' : ''}`,
    };
  },
  locked: lockedGit,
  lock: async (step, env) => {
    const c = step.config;
    return gitLockEntry(c, await lockedClone(env.runner, c.dest, c.submodules));
  },
  resolveLock: async (step, env) => {
    const c = step.config;
    const commit = await remoteCommit(env, step);
    return {
      ...gitLockEntry(c, { commit, submodules: [] }),
      // The submodules' commits are recorded in the tree of that commit: only a fetch can read them.
      ...(c.submodules ? { note: 'submodule commits are known only after fetching: setup lock after setup run' } : {}),
    };
  },
  bundle: (step, ctx) =>
    bundleGit(step.config, ctx, {
      options: (url) => gitOptions(ctx.env.profile, url),
      env: (url) => ({
        ...step.common.env,
        ...gitEnv(
          ctx.env.profile,
          url === step.config.repo ? step.config : { ...step.config, repo: url, written: undefined },
        ),
      }),
    }),
  shell: (step, ctx) =>
    gitShell(step.config, gitOptions(ctx.env.profile, step.config.repo), gitEnv(ctx.env.profile, step.config), ctx.q),
  // A fresh clone (and its submodules) is made in the cache while earlier steps run; moved into place in its turn.
  early: async (step, env, signal) => {
    const c = step.config;
    const options = gitOptions(env.profile, c.repo);
    const url = await gitFetchUrl(c.repo, options, gitEnv(env.profile, c), env);
    if (await unreachable(url, { env: env.processEnv, files: false })) return;
    await cloneAhead(step, env, { options, env: gitEnv(env.profile, c) }, signal);
  },
  apply: async (step, env) => {
    const c = step.config;
    const opts = gitOptions(env.profile, c.repo);
    const git = (args: string[]): Promise<unknown> =>
      env.exec({ argv: ['git', ...opts, ...args] }, { env: gitEnv(env.profile, c) });
    const inGit = (args: string[]): Promise<unknown> => git(['-C', c.dest, ...args]);
    const depth = c.depth ? [`--depth=${c.depth}`] : [];
    // Before the first clone or fetch: a host that did not answer once this run fails the step at once.
    const reach = (): Promise<void> => gitMustAnswer(c.repo, opts, gitEnv(env.profile, c), env);

    // Cloned ahead while earlier steps ran: that clone is this step's fresh clone.
    const ahead = await takeAhead(step, env.log);
    let s: DestState = await inspectDest(env.runner, c.dest, c.repo, c.ref);
    if (s.kind === 'other') throw new StepFailure(s.why, { hint: `${c.dest} is left as it is` });
    if (s.kind === 'unknown') throw new StepFailure(s.why);
    const fresh = ahead || s.kind === 'missing' || s.kind === 'empty';
    if (s.kind === 'clone' && s.credentialInOrigin) await inGit(['remote', 'set-url', 'origin', c.repo]);
    if (fresh && !ahead) {
      await reach();
      if (!looksLikeCommit(c.ref)) await git(['clone', `--branch=${c.ref}`, ...depth, '--', c.repo, c.dest]);
      else {
        // A commit cannot be cloned by name: an empty repo with origin (HEAD unborn until the checkout below,
        // so an interrupted run is never mistaken for a finished one), then a fetch.
        await git(['init', '--quiet', '--', c.dest]);
        await inGit(['remote', 'add', 'origin', c.repo]);
      }
    }
    let target = await resolveRef(env.runner, c.dest, c.ref);
    // Branches move: an existing clone fetches the tip; anything not in the clone yet is fetched by name.
    if (!target || (!fresh && target.kind === 'branch')) {
      await reach();
      await fetchRef(env, step, opts, target);
      target = await resolveRef(env.runner, c.dest, c.ref);
      if (!target)
        throw new StepFailure(`${c.ref} is not a branch, tag or commit of ${c.repo}`, {
          hint: 'check the ref (git ls-remote the repository)',
        });
    }
    s = await inspectDest(env.runner, c.dest, c.repo, c.ref);
    const head = s.kind === 'clone' ? s.head : undefined;
    if (head !== target.commit) {
      if (!fresh && head) {
        const changed = await localChanges(env.runner, c.dest);
        if (changed.length) {
          throw new StepFailure(
            `${c.dest} has local changes (${changed.slice(0, 3).join(', ')}${changed.length > 3 ? ` and ${changed.length - 3} more` : ''}): not checking out ${c.ref} over them`,
            {
              hint: `commit or stash them (git -C ${c.dest} stash), then run again`,
            },
          );
        }
      }
      env.log(`checking out ${c.ref} (${short(target.commit)}) in ${c.dest}`);
      if (target.kind === 'branch') {
        const local = await gitRead(env.runner, c.dest, ['rev-parse', '-q', '--verify', `refs/heads/${c.ref}`]);
        if (local.ok && local.out && local.out !== target.commit) {
          const behind = await gitRead(env.runner, c.dest, ['merge-base', '--is-ancestor', local.out, target.commit]);
          if (!behind.ok) {
            throw new StepFailure(
              `the local branch ${c.ref} in ${c.dest} has commits that are not on origin/${c.ref}`,
              { hint: 'push them, or move them to another branch, then run again' },
            );
          }
        }
        // Upstream set by hand: `--track` refuses when origin's refspec is single-branch (a shallow clone of another ref).
        await inGit(['checkout', '--quiet', '--no-track', '-B', c.ref, target.commit]);
        await inGit(['config', `branch.${c.ref}.remote`, 'origin']);
        await inGit(['config', `branch.${c.ref}.merge`, `refs/heads/${c.ref}`]);
      } else await inGit(['checkout', '--quiet', '--detach', target.commit]);
    }
    if (c.submodules) {
      // .gitmodules may have changed with the ref: sync the URLs git keeps, then check out every submodule.
      if (!fresh) await inGit(['submodule', '--quiet', 'sync', '--recursive']);
      // Clones of many submodules wait on the network more than on CPUs: a fixed, modest parallelism.
      await inGit(['submodule', 'update', '--init', '--recursive', '--jobs=8']);
      // A lock may hold a submodule elsewhere than its recorded commit: check that one out (parents first).
      const locked = c.submoduleCommits ?? {};
      for (const p of Object.keys(locked).sort()) {
        const now = await gitRead(env.runner, path.join(c.dest, p), ['rev-parse', 'HEAD']);
        if (now.ok && now.out === locked[p]) continue;
        env.log(`checking out the submodule ${p} at its locked commit ${short(locked[p])}`);
        await git(['-C', path.join(c.dest, p), 'checkout', '--quiet', '--detach', locked[p]!]);
      }
    }
  },
  examples: [
    `- name: PyTorch sources with every submodule\n  git:\n    repo: https://github.com/pytorch/pytorch.git\n    ref: v2.1.0\n    submodules: true`,
    `- name: faiss sources, shallow\n  git: { repo: https://github.com/facebookresearch/faiss.git, ref: v1.7.4, dest: "{{ dirs.src }}/faiss", depth: 1 }`,
    `- name: googletest at a commit\n  git:\n    repo: git@github.com:google/googletest.git\n    ref: f8d7d77c06936315286eb55f8de22cd23c188571`,
  ],
});

/** Fetches `ref` into the clone: a branch into origin/<ref>, a tag into its tag, else a commit by sha. */
/** `setup lock --resolve`: the commit `ref` names on the remote (`git ls-remote` through the profile's rewrites). */
async function remoteCommit(env: StepEnv, step: ResolvedStep<GitConfig>): Promise<string> {
  const c = step.config;
  if (looksLikeCommit(c.ref) && c.ref.length >= 40) return c.ref;
  const argv = [
    'git',
    ...gitOptions(env.profile, c.repo),
    'ls-remote',
    c.repo,
    `refs/heads/${c.ref}`,
    `refs/tags/${c.ref}`,
    `refs/tags/${c.ref}^{}`,
  ];
  const r = await env.runner.run({
    argv,
    env: { ...step.common.env, ...gitEnv(env.profile, c) },
    cwd: env.paths.home,
    timeoutMs: step.common.timeoutMs ?? 120_000,
  });
  if (r.spawnError) throw new Error(r.spawnError);
  if (r.timedOut) throw new Error(`git ls-remote ${c.repo} timed out`);
  if (r.exitCode !== 0)
    throw new Error(
      `cannot list the refs of ${c.repo}: ${r.stderr.trim().split('\n').pop() ?? `git exited ${r.exitCode}`}`,
    );
  const commit = remoteRefCommit(c.ref, r.stdout);
  if (!commit)
    throw new Error(
      looksLikeCommit(c.ref)
        ? `${c.ref} is a short commit: only a fetch can tell its full sha (give all 40 characters)`
        : `${c.ref} is not a branch or tag of ${c.repo}`,
    );
  return commit;
}

async function fetchRef(
  env: ApplyEnv,
  step: ResolvedStep<GitConfig>,
  opts: string[],
  known: { kind: string } | undefined,
): Promise<void> {
  const c = step.config;
  const git = (args: string[]): Promise<unknown> =>
    env.exec({ argv: ['git', ...opts, '-C', c.dest, ...args] }, { env: gitEnv(env.profile, c) });
  const depth = c.depth ? [`--depth=${c.depth}`] : [];
  let kind = known?.kind;
  if (!kind) {
    // Read through the runner (exec keeps no output), logged all the same.
    const argv = ['git', ...opts, '-C', c.dest, 'ls-remote', 'origin', `refs/heads/${c.ref}`, `refs/tags/${c.ref}`];
    env.log(`$ ${argvToString(argv)}`);
    const r = await env.runner.run({
      argv,
      env: { ...step.common.env, ...gitEnv(env.profile, c) },
      timeoutMs: step.common.timeoutMs ?? 120_000,
      signal: env.signal,
    });
    if (r.spawnError) throw new StepFailure(r.spawnError);
    if (r.timedOut || r.aborted)
      throw new StepFailure(`git ls-remote ${r.aborted ? 'was interrupted' : 'timed out'}`, {
        hint: r.timedOut ? "raise the step's `timeout`" : undefined,
      });
    if (r.exitCode !== 0)
      throw new StepFailure(
        `cannot list the refs of ${c.repo}: ${r.stderr.trim().split('\n').pop() ?? `git exited ${r.exitCode}`}`,
        { hint: 'check the URL, the mirror profile and the network' },
      );
    kind = remoteRefKind(c.ref, r.stdout) ?? (looksLikeCommit(c.ref) ? 'commit' : undefined);
    if (!kind)
      throw new StepFailure(`${c.ref} is not a branch or tag of ${c.repo}`, {
        hint: 'check the ref (git ls-remote the repository), or give a commit sha',
      });
  }
  if (kind === 'branch') await git(['fetch', ...depth, 'origin', `+refs/heads/${c.ref}:refs/remotes/origin/${c.ref}`]);
  else if (kind === 'tag') await git(['fetch', ...depth, 'origin', `+refs/tags/${c.ref}:refs/tags/${c.ref}`]);
  else {
    // A commit: a full fetch finds it (a short sha too) unless it is on no branch or tag; then by its sha.
    if (!c.depth) {
      await git(['fetch', '--tags', 'origin']);
      if (await resolveRef(env.runner, c.dest, c.ref)) return;
    }
    await git(['fetch', ...depth, 'origin', c.ref]);
  }
}
